"""What each state of the ASL is for, and which states of a run decided its answer.

One table read by the diagram (`workflow.ops.diagram`), by `make run`'s state
table and by the executions inspector: the local runtime may not import from
ops/, so the table lives here, below both.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import Enum


class Role(Enum):
    """What a state is for; the order here is the order of the clusters and of the table."""

    DESIGN_CARD = ("the design card: check the prompt, generate, moderate, publish", True)
    REJECTION = ("rejections: an answer, not an error", True)
    GUARDRAIL = ("the optional second opinion: Amazon Bedrock Guardrails", False)
    ADMISSION = ("admission to the GPU", False)
    IDEMPOTENCY = ("idempotency", False)
    ANSWER = ("answer and clean-up", False)

    def __init__(self, label: str, emphasised: bool) -> None:
        self.label = label
        self.emphasised = emphasised


# Every state of the ASL, by role, each role in the order a run meets its states. A
# state missing here stops the diagram's generator and fails a test: none is silently left out.
ROLE_OF: dict[str, Role] = {
    "ReceiveRequest": Role.DESIGN_CARD,
    "CheckPromptToxicity": Role.DESIGN_CARD,
    "IsPromptSafe": Role.DESIGN_CARD,
    "ReadGuardrailSetting": Role.GUARDRAIL,
    "IsGuardrailOnForPrompt": Role.GUARDRAIL,
    "ApplyGuardrailToPrompt": Role.GUARDRAIL,
    "IsPromptAllowedByGuardrail": Role.GUARDRAIL,
    "IsGuardrailOnForImage": Role.GUARDRAIL,
    "ApplyGuardrailToImage": Role.GUARDRAIL,
    "IsImageAllowedByGuardrail": Role.GUARDRAIL,
    "GenerateImage": Role.DESIGN_CARD,
    "ModerateImage": Role.DESIGN_CARD,
    "IsImageSafe": Role.DESIGN_CARD,
    "RecognizeCelebrities": Role.DESIGN_CARD,
    "IsNoRealPersonRefused": Role.DESIGN_CARD,
    "MarkProvenance": Role.DESIGN_CARD,
    "StoreImage": Role.DESIGN_CARD,
    "ImageApproved": Role.DESIGN_CARD,
    "PromptRejected": Role.REJECTION,
    "DiscardRejectedImage": Role.REJECTION,
    "ImageRejected": Role.REJECTION,
    "ReserveCallersQuota": Role.ADMISSION,
    "MayThisCallerGenerate": Role.ADMISSION,
    "WaitWhilePaused": Role.ADMISSION,
    "ServicePaused": Role.ADMISSION,
    "QuotaExceeded": Role.ADMISSION,
    "ReserveGenerationPlace": Role.ADMISSION,
    "IsThereRoomForThisRun": Role.ADMISSION,
    "AcquireGenerationSlot": Role.ADMISSION,
    "IsGenerationSlotAcquired": Role.ADMISSION,
    "WaitForGenerationSlot": Role.ADMISSION,
    "GenerationBusy": Role.ADMISSION,
    "HandOverToNextRun": Role.ADMISSION,
    "ReleaseGenerationSlot": Role.ADMISSION,
    "LeaveGenerationQueue": Role.ADMISSION,
    "IsThereAnIdempotencyKey": Role.IDEMPOTENCY,
    "ClaimIdempotencyKey": Role.IDEMPOTENCY,
    "WhatDoesTheIdempotencyKeySay": Role.IDEMPOTENCY,
    "WaitForFirstAnswer": Role.IDEMPOTENCY,
    "ReplayFirstAnswer": Role.IDEMPOTENCY,
    "IdempotencyKeyReused": Role.IDEMPOTENCY,
    "RequestInProgress": Role.IDEMPOTENCY,
    "IdempotencyKeyInvalid": Role.IDEMPOTENCY,
    "IdempotencyCheckFailed": Role.IDEMPOTENCY,
    "ShouldSettleIdempotencyKey": Role.IDEMPOTENCY,
    "SettleIdempotencyKey": Role.IDEMPOTENCY,
    "LeaveGenerationQueueAfterInvalidRequest": Role.ANSWER,
    "RequestInvalid": Role.ANSWER,
    "LeaveGenerationQueueAfterPromptCheckError": Role.ANSWER,
    "PromptCheckFailed": Role.ANSWER,
    "ReleaseGenerationSlotAfterAdmissionError": Role.ANSWER,
    "ReleaseGenerationSlotAfterGenerationError": Role.ANSWER,
    "DiscardImageAfterGenerationError": Role.ANSWER,
    "WhyDidGenerationFail": Role.ANSWER,
    "EndpointBusy": Role.ANSWER,
    "EndpointStarting": Role.ANSWER,
    "GenerationTimedOut": Role.ANSWER,
    "GenerationFailed": Role.ANSWER,
    "DiscardImageAfterModerationError": Role.ANSWER,
    "ModerationFailed": Role.ANSWER,
    "DiscardImageAfterProvenanceError": Role.ANSWER,
    "ProvenanceFailed": Role.ANSWER,
    "DiscardImageAfterStorageError": Role.ANSWER,
    "StorageFailed": Role.ANSWER,
    "ShouldRefundCallersQuota": Role.ANSWER,
    "RefundCallersQuota": Role.ANSWER,
    "DidTheRunFail": Role.ANSWER,
    "AnswerGiven": Role.ANSWER,
    "RunFailed": Role.ANSWER,
}

# Every end of a run passes here carrying its answer (the ASL's Comment says so): the
# state entered just before it is the one that set the answer.
SETTLE_STATE = "ShouldSettleIdempotencyKey"


def deciding_state(names: Sequence[str]) -> str | None:
    """The state that set a run's answer: the one before the settle step, or, for a run
    that ended without reaching it (a Fail state, a timeout), the last state entered."""
    if SETTLE_STATE in names:
        position = names.index(SETTLE_STATE)
        return names[position - 1] if position else None
    return names[-1] if names else None


def is_core(name: str) -> bool:
    """A state of the design card or a rejection: the path a reader of the card follows."""
    role = ROLE_OF.get(name)
    # A state the table does not know is shown rather than hidden.
    return role is None or role.emphasised
