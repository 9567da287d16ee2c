"""Translating AWS SDK failures into the workflow's stable error codes."""

from __future__ import annotations

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, ConnectionError, ReadTimeoutError

from text2image.errors import WorkflowError

# Comprehend, Rekognition and S3 clients: one quick SDK retry for a dropped
# connection or a momentary throttle. The state machine's Retry owns the backoff,
# so the two layers make at most two calls per attempt it counts.
SERVICE_CLIENT_CONFIG = Config(retries={"mode": "standard", "total_max_attempts": 2}, connect_timeout=3)

THROTTLING_CODES = frozenset(
    {
        "ThrottlingException",
        "Throttling",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "SlowDown",
        "ModelNotReadyException",
    }
)
TRANSIENT_CODES = frozenset(
    {
        "InternalServerException",
        "InternalServerError",
        "InternalFailure",
        "InternalError",
        "InternalDependencyException",
        "ServiceUnavailable",
        "ServiceUnavailableException",
    }
)


def translate(
    error: Exception,
    *,
    throttled: type[WorkflowError],
    unavailable: type[WorkflowError],
    permanent: type[WorkflowError],
    message: str,
) -> WorkflowError:
    """The workflow error for an SDK failure: throttled and unavailable are
    retried by the state machine, permanent is not. The AWS error code goes in
    the message for operators (execution history); the API never shows it."""
    if isinstance(error, ClientError):
        code = error.response.get("Error", {}).get("Code", "")
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        if code in THROTTLING_CODES or status == 429:
            return throttled(f"{message} (throttled: {code})")
        if code in TRANSIENT_CODES or status >= 500:
            return unavailable(f"{message} (unavailable: {code})")
        return permanent(f"{message} ({code})")
    if isinstance(error, ConnectionError | ReadTimeoutError):
        return unavailable(f"{message} (connection failed)")
    if isinstance(error, BotoCoreError):
        return unavailable(f"{message} ({type(error).__name__})")
    raise error
