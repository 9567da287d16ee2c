"""Stable error codes.

Lambda reports an unhandled exception by its class name, and Step Functions
matches `Retry` and `Catch` on that name. So each class name here is an error
code of the workflow: renaming one is a breaking change of the ASL file.
Messages are for humans and carry no stack trace or internal name.
"""

from __future__ import annotations


class WorkflowError(Exception):
    """Base of every error a handler raises on purpose."""


class InvalidRequest(WorkflowError):
    """The input does not match the contract. Never retried."""


# Transient service errors: the ASL retries these, with backoff.
class ComprehendThrottled(WorkflowError):
    pass


class ComprehendUnavailable(WorkflowError):
    pass


class EndpointThrottled(WorkflowError):
    pass


class EndpointUnavailable(WorkflowError):
    pass


class EndpointNoCapacity(WorkflowError):
    """The endpoint has scaled to zero: a copy is being started, which takes minutes.
    Not worth a retry inside a 28 s run; the caller should come back later."""


class RekognitionThrottled(WorkflowError):
    pass


class RekognitionUnavailable(WorkflowError):
    pass


class StorageThrottled(WorkflowError):
    pass


class StorageUnavailable(WorkflowError):
    pass


# Permanent errors: retrying cannot help.
class TextNotCheckable(WorkflowError):
    """Comprehend refused the text (size, language or request shape)."""


class ModelError(WorkflowError):
    """The endpoint's model refused or failed the request."""


class GenerationTimedOut(WorkflowError):
    """The image could not be generated and staged before the handler's deadline.
    Not retried: a second attempt would have even less time."""


class InvalidModelOutput(WorkflowError):
    """The endpoint answered, but not with an image of the requested size."""


class ImageNotModeratable(WorkflowError):
    """Rekognition refused the image (format, size or access)."""


class StagedImageMissing(WorkflowError):
    """The staged object a later state expected is not there."""


class StorageRefused(WorkflowError):
    """S3 refused the request (permissions, bucket missing, bad request)."""


# The generation semaphore's table.
class SlotTableThrottled(WorkflowError):
    pass


class SlotTableUnavailable(WorkflowError):
    pass


class SlotTableRefused(WorkflowError):
    """DynamoDB refused the request (permissions, table missing)."""


# The Idempotency-Keys table of POST /generate.
class IdempotencyTableThrottled(WorkflowError):
    pass


class IdempotencyTableUnavailable(WorkflowError):
    pass


class IdempotencyTableRefused(WorkflowError):
    """DynamoDB refused the request (permissions, table missing)."""


# Amazon Bedrock Guardrails (ApplyGuardrail).
class GuardrailThrottled(WorkflowError):
    pass


class GuardrailUnavailable(WorkflowError):
    pass


class GuardrailRefused(WorkflowError):
    """The guardrail refused the call, is not configured, or did not assess the content."""


# Provenance: the watermark and the C2PA manifest of MarkProvenance, signed with KMS.
class SigningThrottled(WorkflowError):
    pass


class SigningUnavailable(WorkflowError):
    pass


class SigningRefused(WorkflowError):
    """KMS refused to sign (key disabled, wrong key type, no permission), or the
    signing certificate is missing. Never retried."""


class ImageNotMarkable(WorkflowError):
    """The staged image could not be watermarked or signed. Never retried."""


# The daily quotas table and the pause switch, read at admission.
class QuotaTableThrottled(WorkflowError):
    pass


class QuotaTableUnavailable(WorkflowError):
    pass


class QuotaTableRefused(WorkflowError):
    """DynamoDB or SSM refused the request (permissions, table or parameter missing)."""
