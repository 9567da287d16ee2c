"""The faults queued for the next calls of each service."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from workflow.standins.admin import (
    CELEBRITY_CONFIDENCE,
    CELEBRITY_NAME,
    FLAG_CONFIDENCE,
    FLAG_LABEL,
    Kind,
    Service,
)
from workflow.standins.moderation_taxonomy import PARENTS
from workflow.standins.wire import AwsError


class FaultRequest(BaseModel):
    service: Service
    kind: Kind
    count: int = Field(default=1, ge=1, le=1000)
    delay_seconds: float = Field(default=0.0, ge=0.0, le=120.0)
    # What a `flag` labels the image with: any model-7 label, reported with its parents.
    label: str = FLAG_LABEL
    confidence: float = Field(default=FLAG_CONFIDENCE, ge=0.0, le=100.0)
    # Who a `celebrity` fault makes RecognizeCelebrities recognise, and how surely.
    name: str = Field(default=CELEBRITY_NAME, min_length=1, max_length=200)
    match_confidence: float = Field(default=CELEBRITY_CONFIDENCE, ge=0.0, le=100.0)
    # Only calls of this operation (e.g. RecognizeCelebrities) take the fault; None: any.
    operation: str | None = None
    # What an `intervene` fault makes the guardrail find.
    filter_type: Literal["SEXUAL", "VIOLENCE", "HATE", "INSULTS", "MISCONDUCT", "PROMPT_ATTACK"] = "SEXUAL"

    @model_validator(mode="after")
    def _kind_fits_the_service(self) -> FaultRequest:
        if self.kind in OPERATION_OF_KIND:
            if self.service != SERVICE_OF_KIND[self.kind]:
                raise ValueError(f"only {SERVICE_OF_KIND[self.kind]} takes a {self.kind!r} fault")
            if self.operation not in (None, OPERATION_OF_KIND[self.kind]):
                raise ValueError(f"a {self.kind!r} fault applies to {OPERATION_OF_KIND[self.kind]} only")
            self.operation = OPERATION_OF_KIND[self.kind]
        if self.operation is not None and self.operation not in OPERATIONS_OF_SERVICE[self.service]:
            raise ValueError(
                f"{self.service} has no operation {self.operation!r}; "
                f"known: {OPERATIONS_OF_SERVICE[self.service]}"
            )
        if self.label not in PARENTS:
            raise ValueError(f"unknown moderation label {self.label!r}; known: {sorted(PARENTS)}")
        if self.kind == "unavailable" and self.service not in UNAVAILABLE_ERRORS:
            raise ValueError(f"only {sorted(UNAVAILABLE_ERRORS)} can be made unavailable")
        return self


# The faults that only make sense for one operation.
OPERATION_OF_KIND = {
    "flag": "DetectModerationLabels",
    "celebrity": "RecognizeCelebrities",
    "intervene": "ApplyGuardrail",
}
SERVICE_OF_KIND = {"flag": "rekognition", "celebrity": "rekognition", "intervene": "bedrock"}
OPERATIONS_OF_SERVICE: dict[str, list[str]] = {
    "comprehend": ["DetectToxicContent", "DetectDominantLanguage", "DetectEntities"],
    "rekognition": ["DetectModerationLabels", "RecognizeCelebrities"],
    "sagemaker": ["InvokeEndpoint"],
    "translate": ["TranslateText"],
    "bedrock": ["ApplyGuardrail"],
    "kms": ["Sign", "GetPublicKey"],
}


@dataclass
class Fault:
    kind: str
    remaining: int
    delay_seconds: float
    label: str = FLAG_LABEL
    confidence: float = FLAG_CONFIDENCE
    name: str = CELEBRITY_NAME
    match_confidence: float = CELEBRITY_CONFIDENCE
    operation: str | None = None
    filter_type: str = "SEXUAL"


# What each service answers for an injected throttle or error, as AWS does.
THROTTLE_ERRORS = {
    "comprehend": AwsError("TooManyRequestsException", "Rate exceeded (injected fault).", 400),
    "rekognition": AwsError(
        "ProvisionedThroughputExceededException", "Provisioned rate exceeded (injected fault).", 400
    ),
    # The runtime answers 429 ModelNotReadyException while an endpoint scales.
    "sagemaker": AwsError("ModelNotReadyException", "Model is not ready (injected fault).", 429),
    "translate": AwsError("TooManyRequestsException", "Rate exceeded (injected fault).", 429),
    "bedrock": AwsError("ThrottlingException", "Too many requests (injected fault).", 429),
    "kms": AwsError("ThrottlingException", "Rate exceeded (injected fault).", 400),
}
INTERNAL_ERRORS = {
    "comprehend": AwsError("InternalServerException", "Internal server error (injected fault).", 500),
    "rekognition": AwsError("InternalServerError", "Internal server error (injected fault).", 500),
    "sagemaker": AwsError(
        "ModelError",
        'Received server error (500) from primary with message "CUDA out of memory (injected fault)".',
        424,
    ),
    "translate": AwsError("InternalServerException", "Internal server error (injected fault).", 500),
    "bedrock": AwsError("InternalServerException", "Internal server error (injected fault).", 500),
    "kms": AwsError("KMSInternalException", "Internal server error (injected fault).", 500),
}
UNAVAILABLE_ERRORS = {
    # A scale-to-zero endpoint whose inference component has no copy yet answers so.
    "sagemaker": AwsError(
        "ValidationError",
        "Inference Component has no capacity to process this request. ApplicationAutoScaling may be "
        "in-progress (if configured) or try to increase the capacity (injected fault).",
        400,
    ),
    "translate": AwsError(
        "ServiceUnavailableException", "The service is temporarily unavailable (injected fault).", 503
    ),
}


class FaultBook:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: dict[str, list[Fault]] = {}

    def add(self, request: FaultRequest) -> None:
        with self._lock:
            self._faults.setdefault(request.service, []).append(
                Fault(
                    request.kind,
                    request.count,
                    request.delay_seconds,
                    request.label,
                    request.confidence,
                    request.name,
                    request.match_confidence,
                    request.operation,
                    request.filter_type,
                )
            )

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def take(self, service: str, operation: str | None = None) -> Fault | None:
        """The first fault queued for this call of `service` (and `operation`); it is used up."""
        with self._lock:
            queue = self._faults.get(service, [])
            for index, fault in enumerate(queue):
                if fault.operation is not None and fault.operation != operation:
                    continue
                fault.remaining -= 1
                if fault.remaining <= 0:
                    queue.pop(index)
                return fault
            return None

    def pending(self) -> dict[str, list[dict[str, object]]]:
        with self._lock:
            return {
                service: [vars(fault).copy() for fault in queue] for service, queue in self._faults.items()
            }
