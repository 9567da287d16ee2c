"""The public API contract, defined once.

What a caller may send to `POST /generate`, and which HTTP answer each way a
workflow execution can end maps to. The handlers, the CDK stack (request
model and integration responses) and the local API all read this module, so
the cloud and the local stack cannot drift apart. Pure Python: no AWS imports.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, field_validator

from text2image.deferred_model import DeferredModel
from text2image.domain.idempotency import IDEMPOTENCY_KEY_FIELD
from text2image.domain.quota import CALLER_FIELD
from text2image.domain.verify_uploads import UPLOAD_ID_PATTERN

# 1000 characters are at most 4000 bytes of UTF-8: four 1 KB Comprehend segments
# for the prompt and four for the negative prompt, inside the 10-segment limit.
# SDXL's text encoders read only 77 tokens anyway.
MAX_PROMPT_CHARS = 1000
MAX_SEED = 4_294_967_295

# The resolutions SDXL 1.0 was trained on (all about one megapixel).
SDXL_SIZES: tuple[str, ...] = (
    "1024x1024",
    "1152x896",
    "896x1152",
    "1216x832",
    "832x1216",
    "1344x768",
    "768x1344",
    "1536x640",
    "640x1536",
)
DEFAULT_SIZE = "1024x1024"


def parse_size(size: str) -> tuple[int, int]:
    """'1216x832' -> (1216, 832): width, height."""
    width, height = size.split("x")
    return int(width), int(height)


class CheckToxicityRequest(DeferredModel):
    """The body of `POST /check-toxicity`: the texts a generation would send."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    prompt: Annotated[str, Field(min_length=1, max_length=MAX_PROMPT_CHARS)]
    negative_prompt: Annotated[str, Field(max_length=MAX_PROMPT_CHARS)] = ""

    @field_validator("prompt")
    @classmethod
    def _prompt_has_words(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the prompt must contain some text, not only spaces")
        return value


class GenerateRequest(CheckToxicityRequest):
    """The body of `POST /generate`, and the input of the state machine."""

    seed: Annotated[int, Field(ge=0, le=MAX_SEED)] | None = None
    size: Literal[SDXL_SIZES] = DEFAULT_SIZE  # type: ignore[valid-type]

    @property
    def width(self) -> int:
        return parse_size(self.size)[0]

    @property
    def height(self) -> int:
        return parse_size(self.size)[1]


# A job has up to the job machine's 300 s, not the sync route's 28 s: it may ask for
# the original design's quality (50 steps, the refiner).
MAX_JOB_STEPS = 50


class JobRequest(GenerateRequest):
    """The body of `POST /jobs`: a generation with the quality settings a job has
    time for. Unset settings keep the configured defaults. The state machine reads
    every request as this model; the sync route's request model refuses the extra
    fields before a run starts."""

    steps: Annotated[int, Field(ge=1, le=MAX_JOB_STEPS)] | None = None
    use_refiner: bool | None = None
    refiner_steps: Annotated[int, Field(ge=1, le=MAX_JOB_STEPS)] | None = None
    refiner_strength: Annotated[float, Field(ge=0.0, le=1.0)] | None = None


def _prompt_schema() -> dict[str, Any]:
    # JSON Schema draft 4, the dialect API Gateway request models speak.
    return {"type": "string", "minLength": 1, "maxLength": MAX_PROMPT_CHARS, "pattern": "\\S"}


GENERATE_REQUEST_SCHEMA: dict[str, Any] = {
    "$schema": "http://json-schema.org/draft-04/schema#",
    "title": "GenerateRequest",
    "type": "object",
    "additionalProperties": False,
    "required": ["prompt"],
    "properties": {
        "prompt": _prompt_schema(),
        "negative_prompt": {"type": "string", "maxLength": MAX_PROMPT_CHARS},
        "seed": {"type": "integer", "minimum": 0, "maximum": MAX_SEED},
        "size": {"type": "string", "enum": list(SDXL_SIZES)},
    },
}

JOB_REQUEST_SCHEMA: dict[str, Any] = {
    **GENERATE_REQUEST_SCHEMA,
    "title": "JobRequest",
    "properties": {
        **GENERATE_REQUEST_SCHEMA["properties"],
        "steps": {"type": "integer", "minimum": 1, "maximum": MAX_JOB_STEPS},
        "use_refiner": {"type": "boolean"},
        "refiner_steps": {"type": "integer", "minimum": 1, "maximum": MAX_JOB_STEPS},
        "refiner_strength": {"type": "number", "minimum": 0, "maximum": 1},
    },
}

CHECK_TOXICITY_REQUEST_SCHEMA: dict[str, Any] = {
    "$schema": "http://json-schema.org/draft-04/schema#",
    "title": "CheckToxicityRequest",
    "type": "object",
    "additionalProperties": False,
    "required": ["prompt"],
    "properties": {
        "prompt": _prompt_schema(),
        "negative_prompt": {"type": "string", "maxLength": MAX_PROMPT_CHARS},
    },
}


# POST /verify takes the image's own bytes, as one of these types.
VERIFY_MEDIA_TYPES: tuple[str, ...] = ("image/png", "image/jpeg")
MAX_VERIFY_IMAGE_BYTES = 10 * 1024 * 1024


class VerifyUploadRequest(DeferredModel):
    """`POST /verify` as JSON: verify the image uploaded with `POST /verify/uploads`' form."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # Checked against UPLOAD_ID_PATTERN by text2image.domain.verify_uploads.upload_key.
    upload_id: Annotated[str, Field(max_length=64)]


class VerifyUploadForm(DeferredModel):
    """The 201 answer of `POST /verify/uploads`: an S3 presigned POST for one image.

    POST `fields`, a `Content-Type` field (the image's type) and the image as the
    `file` field (last) to `url` as multipart/form-data, then send `upload_id` to
    `POST /verify`."""

    upload_id: str
    url: str
    fields: dict[str, str]
    max_bytes: int
    expires_in: int


VERIFY_UPLOAD_REQUEST_SCHEMA: dict[str, Any] = {
    "$schema": "http://json-schema.org/draft-04/schema#",
    "title": "VerifyUploadRequest",
    "type": "object",
    "additionalProperties": False,
    "required": ["upload_id"],
    "properties": {"upload_id": {"type": "string", "pattern": UPLOAD_ID_PATTERN}},
}


# --- Outcomes -----------------------------------------------------------------


class Decision(StrEnum):
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"
    # Not a decision on the request: no capacity to serve it now (503).
    BUSY = "BUSY"
    # Not a decision either: its Idempotency-Key belongs to another body or to a run still going (409).
    CONFLICT = "CONFLICT"
    # The operator paused generation (503), or the caller used the day's images (429).
    PAUSED = "PAUSED"
    QUOTA_EXCEEDED = "QUOTA_EXCEEDED"


class Stage(StrEnum):
    PROMPT = "prompt"
    IMAGE = "image"


class Label(DeferredModel):
    """One moderation label. `score` is 0..1 for both stages (Rekognition's
    0..100 confidence is divided by 100); `parent` is the taxonomy parent."""

    name: str
    score: float
    parent: str | None = None


class RejectedResponse(DeferredModel):
    status: Literal["REJECTED"] = "REJECTED"
    stage: Stage
    reason_code: str
    reason: str
    labels: list[Label]
    # The prompt's detected language, and its English translation when it was translated.
    prompt_language: str | None = None
    translated_prompt: str | None = None
    # How the translation was made, when the translator said so (see PromptVerdict).
    translation_terminologies: list[str] = []
    execution_id: str | None = None


class ApprovedResponse(DeferredModel):
    status: Literal["APPROVED"] = "APPROVED"
    image_url: str
    image_key: str
    expires_in: int
    seed: int
    width: int
    height: int
    model: str
    # The prompt's detected language, and the English text generated from when it was translated.
    prompt_language: str
    translated_prompt: str | None = None
    # How the translation was made, when the translator said so (see PromptVerdict).
    translation_terminologies: list[str] = []
    execution_id: str | None = None


class BusyResponse(DeferredModel):
    """No GPU time was spent: ask again after `retry_after` seconds (also the
    `Retry-After` header). `PAUSED`/`ServicePaused`: the operator paused generation."""

    status: Literal["BUSY", "PAUSED"] = "BUSY"
    error: Literal["Busy", "ServicePaused"] = "Busy"
    message: str
    retry_after: int
    execution_id: str | None = None


class ConflictResponse(DeferredModel):
    """The Idempotency-Key was used with another body (`IdempotencyKeyReused`), or its
    first request is still running (`RequestInProgress`: its answer can be had after
    `retry_after` seconds, also the `Retry-After` header). Nothing was generated."""

    status: Literal["CONFLICT"] = "CONFLICT"
    error: Literal["IdempotencyKeyReused", "RequestInProgress"]
    message: str
    retry_after: int | None = None
    execution_id: str | None = None


class QuotaExceededResponse(DeferredModel):
    """The caller's approved images for the day reached the quota; it resets at
    `resets_at` (UTC midnight), `retry_after` seconds from now (also the `Retry-After` header).
    Refused and failed requests never count."""

    status: Literal["QUOTA_EXCEEDED"] = "QUOTA_EXCEEDED"
    error: Literal["QuotaExceeded"] = "QuotaExceeded"
    message: str
    retry_after: int
    resets_at: str
    limit: int
    execution_id: str | None = None


class ErrorResponse(DeferredModel):
    status: Literal["FAILED", "TIMED_OUT"]
    error: str
    message: str
    execution_id: str | None = None


class JobAccepted(DeferredModel):
    """The 202 answer of `POST /jobs` (its URL is also the `Location` header)."""

    job_id: str
    status: Literal["QUEUED"] = "QUEUED"
    stage: Literal["queued"] = "queued"
    status_url: str


class JobView(DeferredModel):
    """`GET /jobs/{id}`: the stage while the job runs (with its place in the queue
    while queued); once DONE, the HTTP status and body `POST /generate` would have given."""

    job_id: str
    status: Literal["QUEUED", "RUNNING", "DONE"]
    stage: Literal["queued", "checking_prompt", "generating", "moderating", "storing", "done"]
    position: int | None = None
    status_url: str
    http_status: int | None = None
    result: dict[str, Any] | None = None


@dataclass(frozen=True)
class OutcomeRule:
    """One row of the outcome table: how an ended execution answers over HTTP.

    A row matches on the execution status and, optionally, on the `status`
    field of a successful execution's output or the error of a failed one.
    Rows are tried in order; the first match wins.
    """

    execution_status: Literal["SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"]
    http_status: int
    output_status: str | None = None
    error: str | None = None
    # For rows without an execution output: the fixed error code and message.
    error_code: str | None = None
    message: str | None = None
    # Whether the answer carries a Retry-After header, from the output's `retry_after`.
    retry_after: bool = False


INVALID_REQUEST_ERROR = "InvalidRequest"
GENERATION_TIMED_OUT_ERROR = "GenerationTimedOut"
RETRY_AFTER_FIELD = "retry_after"

OUTCOME_RULES: tuple[OutcomeRule, ...] = (
    OutcomeRule("SUCCEEDED", 200, output_status=Decision.APPROVED),
    OutcomeRule("SUCCEEDED", 422, output_status=Decision.REJECTED),
    OutcomeRule("SUCCEEDED", 503, output_status=Decision.BUSY, retry_after=True),
    # An Idempotency-Key repeat that cannot be answered with the first answer.
    OutcomeRule("SUCCEEDED", 409, output_status=Decision.CONFLICT, retry_after=True),
    OutcomeRule("SUCCEEDED", 503, output_status=Decision.PAUSED, retry_after=True),
    OutcomeRule("SUCCEEDED", 429, output_status=Decision.QUOTA_EXCEEDED, retry_after=True),
    OutcomeRule("FAILED", 400, error=INVALID_REQUEST_ERROR),
    # Out of time is not a broken model: the caller may try a smaller request.
    OutcomeRule("FAILED", 504, error=GENERATION_TIMED_OUT_ERROR),
    OutcomeRule("FAILED", 502),
    OutcomeRule(
        "TIMED_OUT",
        504,
        error_code="Timeout",
        message="The request took too long and was stopped. Try again, or try a smaller image.",
    ),
    OutcomeRule(
        "ABORTED",
        502,
        error_code="ExecutionAborted",
        message="The request was stopped before it finished. Try again.",
    ),
)

UNKNOWN_FAILURE_MESSAGE = "The request failed. Try again later."

# The 401 of a route behind sign-in: no token, or one expired or not issued by the
# service's user pool. API Gateway's gateway response and the local API answer it alike.
UNAUTHORIZED_BODY: dict[str, Any] = {
    "status": "FAILED",
    "error": "Unauthorized",
    "message": "Sign in first: this request has no valid sign-in token (it is missing, expired, "
    "or not issued by this service). Send the ID token in the Authorization header.",
    "execution_id": None,
}


def invalid_request_body(reason: str) -> dict[str, Any]:
    """The 400 answer to a body the request model refuses: API Gateway's gateway
    response and the local API's both answer in this shape."""
    return ErrorResponse(
        status="FAILED", error=INVALID_REQUEST_ERROR, message=f"Invalid request: {reason}"
    ).model_dump()


def execution_input(
    body: dict[str, Any], idempotency_key: str | None, caller: str | None = None
) -> dict[str, Any]:
    """The sync route's execution input: the body, plus the Idempotency-Key header when
    one was sent (an empty header is none: API Gateway's templates cannot tell them
    apart), plus the authenticated caller when there is one (`domain.quota.caller_of`).
    `outcome_templates.start_request_template` builds the same in VTL. The request
    models refuse both fields in a body, so a caller cannot name someone else."""
    fields: dict[str, Any] = {}
    if idempotency_key:
        fields[IDEMPOTENCY_KEY_FIELD] = idempotency_key
    if caller:
        fields[CALLER_FIELD] = caller
    return {**fields, **body}


def request_of(run_input: dict[str, Any]) -> dict[str, Any]:
    """The request body inside an execution input: without what the API added to it."""
    return {
        name: value for name, value in run_input.items() if name not in (IDEMPOTENCY_KEY_FIELD, CALLER_FIELD)
    }


def response_headers(http_status: int, body: dict[str, Any]) -> dict[str, str]:
    """The headers an answer carries besides its JSON body: Retry-After on a
    refusal for lack of capacity."""
    rule = next(
        (rule for rule in OUTCOME_RULES if rule.http_status == http_status and rule.retry_after), None
    )
    if rule is None or RETRY_AFTER_FIELD not in body:
        return {}
    return {"Retry-After": str(int(body[RETRY_AFTER_FIELD]))}


def http_response(
    execution_status: str,
    output: dict[str, Any] | None = None,
    error: str | None = None,
    cause: str | None = None,
    execution_id: str | None = None,
) -> tuple[int, dict[str, Any]]:
    """Map an ended execution to (HTTP status, JSON body) by OUTCOME_RULES."""
    for rule in OUTCOME_RULES:
        if rule.execution_status != execution_status:
            continue
        if rule.output_status is not None and (output or {}).get("status") != rule.output_status:
            continue
        if rule.error is not None and error != rule.error:
            continue
        if execution_status == "SUCCEEDED":
            return rule.http_status, dict(output or {})
        body = ErrorResponse(
            status="TIMED_OUT" if execution_status == "TIMED_OUT" else "FAILED",
            error=rule.error_code or error or "Failed",
            message=rule.message or cause or UNKNOWN_FAILURE_MESSAGE,
            execution_id=execution_id,
        )
        return rule.http_status, body.model_dump()
    # A SUCCEEDED execution whose output is neither APPROVED nor REJECTED is a
    # defect of the workflow, not of the request.
    body = ErrorResponse(
        status="FAILED", error="Failed", message=UNKNOWN_FAILURE_MESSAGE, execution_id=execution_id
    )
    return 502, body.model_dump()
