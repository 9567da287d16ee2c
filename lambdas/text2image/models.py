"""Pydantic models of each state's input and output: the state data contract."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import ConfigDict, Field, computed_field

from text2image.contract import JobRequest, Label
from text2image.deferred_model import DeferredModel
from text2image.domain.idempotency import MAX_IDEMPOTENCY_KEY_CHARS
from text2image.domain.quota import caller_in


class _Step(DeferredModel):
    model_config = ConfigDict(extra="ignore")


class PromptCheckInput(_Step):
    # Raw: validating it is this step's job, and a bad request is an answer.
    request: dict[str, Any]
    execution_id: str = Field(min_length=1)
    # `job-<id>` for a job's run (its stage is reported), else the sync run's name.
    execution_name: str | None = None


class PromptVerdict(DeferredModel):
    safe: bool
    reason_code: Literal[
        "", "TOXIC_PROMPT", "UNSUPPORTED_LANGUAGE", "DENIED_CONTENT", "REAL_PERSON", "GUARDRAIL_INTERVENED"
    ] = ""
    reason: str = ""
    # The policy rule a DENIED_CONTENT or REAL_PERSON refusal broke, the words that
    # made it, and the policy file's version.
    rule: str = ""
    matched: list[str] = []
    policy_version: str = ""
    # The language the texts were scored in ("en"), or the one that could not be.
    language: str
    language_score: float
    # The prompt's own language, as detected ("en" for an English prompt).
    prompt_language: str
    # The English texts that were scored instead of the originals, when translated.
    translated_prompt: str | None = None
    translated_negative_prompt: str | None = None
    # The terminologies the translator reported applying (none from Amazon Translate, which
    # is asked for none; the local stand-in names its dictionary gloss).
    translation_terminologies: list[str] = []
    toxicity: float | None = None
    labels: list[Label] = []
    # Set by ApplyGuardrailToPrompt: the guardrail's action and the filters that blocked.
    guardrail_action: str = ""
    guardrail_filters: list[str] = []


class CheckedPrompts(DeferredModel):
    """The English texts that passed the check: the only texts SDXL receives."""

    prompt: str = Field(min_length=1)
    negative_prompt: str = ""


class PromptCheckOutput(DeferredModel):
    """Replaces the state: the validated request with defaults filled in, the
    verdict, and (when safe) the checked texts to generate from."""

    request: JobRequest
    prompt_check: PromptVerdict

    @computed_field  # type: ignore[prop-decorator]
    @property
    def checked_prompts(self) -> CheckedPrompts | None:
        if not self.prompt_check.safe:
            return None
        return CheckedPrompts(
            prompt=self.prompt_check.translated_prompt or self.request.prompt,
            negative_prompt=self.prompt_check.translated_negative_prompt or self.request.negative_prompt,
        )


class GenerateInput(_Step):
    request: JobRequest
    # Never the request's own texts: a translated prompt is generated in English.
    checked_prompts: CheckedPrompts
    execution_id: str = Field(min_length=1)

    def generation_request(self) -> JobRequest:
        """The request with the checked English texts in place of the originals."""
        return self.request.model_copy(update=self.checked_prompts.model_dump())


class GenerationResult(DeferredModel):
    staged_key: str
    content_type: str
    seed: int
    width: int
    height: int
    model: str
    latency_ms: int


class ModerateInput(_Step):
    staged_key: str = Field(min_length=1)
    execution_id: str = Field(min_length=1)
    # `job-<id>` for a job's run (its stage is reported), else the sync run's name.
    execution_name: str | None = None


class RecognisedCelebrity(DeferredModel):
    name: str
    id: str
    # Rekognition's MatchConfidence, 0..100.
    match_confidence: float


class ImageCheck(DeferredModel):
    safe: bool
    reason_code: Literal["", "UNSAFE_IMAGE", "REAL_PERSON", "GUARDRAIL_INTERVENED"] = ""
    reason: str = ""
    labels: list[Label] = []
    model_version: str = ""
    # Set by RecognizeCelebrities: whether it asked Rekognition, whom it recognised at or
    # above the minimum confidence, and the people rule and words a refusal broke.
    celebrities_checked: bool | None = None
    celebrities: list[RecognisedCelebrity] = []
    rule: str = ""
    matched: list[str] = []
    policy_version: str = ""
    # Set by ApplyGuardrailToImage: the guardrail's action and the filters that blocked.
    guardrail_action: str = ""
    guardrail_filters: list[str] = []


class GuardrailPromptInput(_Step):
    # The English texts: what was checked and what SDXL will draw.
    checked_prompts: CheckedPrompts
    prompt_check: PromptVerdict
    execution_id: str = Field(min_length=1)


class GuardrailImageInput(_Step):
    staged_key: str = Field(min_length=1)
    content_type: Literal["image/png", "image/jpeg"]
    image_check: ImageCheck
    execution_id: str = Field(min_length=1)


class RecognizeCelebritiesInput(_Step):
    staged_key: str = Field(min_length=1)
    execution_id: str = Field(min_length=1)
    # The moderation verdict the people rule builds on (its labels, its model version).
    image_check: ImageCheck
    # The original prompt and the English one: their harmful words count under refuse-harmful.
    request: JobRequest
    checked_prompts: CheckedPrompts


class StoreInput(_Step):
    staged_key: str = Field(min_length=1)
    content_type: str
    execution_id: str = Field(min_length=1)
    # `job-<id>` for a job's run (its stage is reported), else the sync run's name.
    execution_name: str | None = None
    seed: int
    model: str
    request: JobRequest


class StoredImage(DeferredModel):
    key: str
    url: str
    expires_in: int


class DiscardInput(_Step):
    execution_id: str = Field(min_length=1)
    # Why the staged image is not published: a rejected image may be kept in
    # quarantine by configuration; a failed run's image is always deleted,
    # together with any copy a failed StoreImage left published.
    outcome: Literal["rejected", "failed"]


class DiscardResult(DeferredModel):
    disposition: Literal["deleted", "quarantined"]
    staged_key: str
    quarantine_key: str | None = None


class AcquireSlotInput(_Step):
    # reserve: join the queue on arrival; acquire: take the slot before generating.
    mode: Literal["reserve", "acquire"] = "acquire"
    execution_id: str = Field(min_length=1)
    # `job-<id>` for a job's run (its stage is reported), else the sync run's name.
    execution_name: str | None = None
    # $$.Execution.StartTime: the run's budget counts from here.
    execution_started: datetime


class SlotAdmission(DeferredModel):
    """`queued`: in line, go on; `acquired`: generate now; `wait`: ask again after
    `wait_seconds`; `requeue`: a job's run hands over to the job's next run, which keeps
    its place; `busy`: refuse, and tell the caller to come back after `retry_after` s."""

    decision: Literal["queued", "acquired", "wait", "requeue", "busy"]
    position: int = 0
    expected_wait_seconds: float = 0.0
    wait_seconds: int = 0
    retry_after: int = 0


class ReleaseSlotInput(_Step):
    execution_id: str = Field(min_length=1)
    # `job-<id>[-<run>]` for a job's run: all its runs are one holder.
    execution_name: str | None = None
    latency_ms: int | None = None


class SlotReleased(DeferredModel):
    released: bool = True


class ClaimKeyInput(_Step):
    # $$.Execution.Input.idempotency_key: the header, checked here (a bad one is a 400).
    key: str = Field(min_length=1, max_length=MAX_IDEMPOTENCY_KEY_CHARS)
    # The execution input: the body, with the key still in it on the first claim.
    request: dict[str, Any]
    execution_id: str = Field(min_length=1)
    # $$.Execution.StartTime: the lease and the wait count from here.
    execution_started: datetime


class KeyClaim(DeferredModel):
    """`new`: generate; `answered`, `reused`, `in_progress`: `answer` is this run's
    answer; `wait`: ask again after `wait_seconds`."""

    decision: Literal["new", "answered", "wait", "in_progress", "reused"]
    answer: dict[str, Any] | None = None
    wait_seconds: int = 0


class ClaimKeyOutput(DeferredModel):
    """Replaces the state: the request without the key, and the claim's decision."""

    request: dict[str, Any]
    idempotency: KeyClaim


class SettleKeyInput(_Step):
    key: str = Field(min_length=1, max_length=MAX_IDEMPOTENCY_KEY_CHARS)
    # The run's answer as it ends (a Fail's error and cause are in it as FAILED).
    answer: dict[str, Any]
    execution_id: str = Field(min_length=1)


class KeySettled(DeferredModel):
    # remembered: the answer is kept on the key; released: the key is free again;
    # not_ours: another run holds the key now (our lease had passed), nothing changed.
    outcome: Literal["remembered", "released", "not_ours"]


class CapacityRefreshed(DeferredModel):
    """What RefreshGenerationCapacity found and recorded."""

    instances_in_service: int
    capacity: int
    backlog: int
    backlog_per_instance: float


class MarkProvenanceInput(_Step):
    staged_key: str = Field(min_length=1)
    content_type: str
    model: str
    execution_id: str = Field(min_length=1)
    request: JobRequest
    prompt_check: PromptVerdict
    image_check: ImageCheck


class ProvenanceMark(DeferredModel):
    """What MarkProvenance put into the staged image (which it replaced under the same key)."""

    staged_key: str
    watermark_payload: str
    signed_by: str
    created: datetime
    psnr_db: float | None = None


class QuotaInput(_Step):
    # reserve: at admission, before any paid call; refund: at the answer, for any
    # answer but an approved image.
    mode: Literal["reserve", "refund"]
    execution_id: str = Field(min_length=1)
    # `job-<id>` for a job's run (a paused job waits), else the sync run's name.
    execution_name: str | None = None
    execution_started: datetime | None = None
    # $$.Execution.Input: its `caller` is who the API authenticated (`domain.quota.caller_of`),
    # absent on a public API.
    execution_input: dict[str, Any] = {}
    # refund: the run's answer status.
    answer_status: str | None = None

    @property
    def caller(self) -> str | None:
        return caller_in(self.execution_input)
