"""The faults queued for the next calls of each service."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from pydantic import BaseModel, Field, model_validator

from workflow.standins.admin import FLAG_CONFIDENCE, FLAG_LABEL, Kind, Service
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

    @model_validator(mode="after")
    def _kind_fits_the_service(self) -> FaultRequest:
        if self.kind == "flag" and self.service != "rekognition":
            raise ValueError("only rekognition can flag an image")
        if self.label not in PARENTS:
            raise ValueError(f"unknown moderation label {self.label!r}; known: {sorted(PARENTS)}")
        if self.kind == "unavailable" and self.service not in UNAVAILABLE_ERRORS:
            raise ValueError(f"only {sorted(UNAVAILABLE_ERRORS)} can be made unavailable")
        return self


@dataclass
class Fault:
    kind: str
    remaining: int
    delay_seconds: float
    label: str = FLAG_LABEL
    confidence: float = FLAG_CONFIDENCE


# What each service answers for an injected throttle or error, as AWS does.
THROTTLE_ERRORS = {
    "comprehend": AwsError("TooManyRequestsException", "Rate exceeded (injected fault).", 400),
    "rekognition": AwsError(
        "ProvisionedThroughputExceededException", "Provisioned rate exceeded (injected fault).", 400
    ),
    # The runtime answers 429 ModelNotReadyException while an endpoint scales.
    "sagemaker": AwsError("ModelNotReadyException", "Model is not ready (injected fault).", 429),
    "translate": AwsError("TooManyRequestsException", "Rate exceeded (injected fault).", 429),
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
                Fault(request.kind, request.count, request.delay_seconds, request.label, request.confidence)
            )

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def take(self, service: str) -> Fault | None:
        """The fault for this call of `service`, if one is queued; it is used up."""
        with self._lock:
            queue = self._faults.get(service, [])
            if not queue:
                return None
            fault = queue[0]
            fault.remaining -= 1
            if fault.remaining <= 0:
                queue.pop(0)
            return fault

    def pending(self) -> dict[str, list[dict[str, object]]]:
        with self._lock:
            return {
                service: [vars(fault).copy() for fault in queue] for service, queue in self._faults.items()
            }
