"""The public API as an OpenAPI 3.1 document, generated from the contract.

Request bodies are the request models API Gateway validates with
(`GENERATE_REQUEST_SCHEMA`, `CHECK_TOXICITY_REQUEST_SCHEMA`); the answers of
`POST /generate` are the rows of `OUTCOME_RULES`; answer bodies are the
contract's Pydantic models. `docs/openapi.json` is this module's output, and a
test keeps the two equal: `python -m workflow.ops.openapi --write` refreshes it.
The local API serves the same document at `/api/openapi.json`.

A new route is one more `Operation` in `OPERATIONS`; a new outcome row (a 503,
a 429) appears in the answers of `/generate` with no edit here.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from repo_paths import OPENAPI_FILE, REPO_ROOT
from text2image.contract import (
    CHECK_TOXICITY_REQUEST_SCHEMA,
    GENERATE_REQUEST_SCHEMA,
    JOB_REQUEST_SCHEMA,
    OUTCOME_RULES,
    VERIFY_MEDIA_TYPES,
    VERIFY_UPLOAD_REQUEST_SCHEMA,
    ApprovedResponse,
    BusyResponse,
    ConflictResponse,
    Decision,
    ErrorResponse,
    JobAccepted,
    JobView,
    OutcomeRule,
    QuotaExceededResponse,
    RejectedResponse,
    VerifyUploadForm,
)
from text2image.domain.idempotency import IDEMPOTENCY_HEADER, MAX_IDEMPOTENCY_KEY_CHARS
from text2image.domain.provenance import VerifyResponse
from text2image.models import PromptVerdict

OPENAPI_VERSION = "3.1.0"
API_VERSION = "1.0.0"
# The page and CloudFront reach the API's stage under /api on the site's origin.
SERVER_PATH = "/api"
COMPONENT_REF = "#/components/schemas/{model}"

# The answers API Gateway itself gives, whatever the route. A refused body is
# answered in the contract's error shape (the InvalidBody gateway response);
# the others keep API Gateway's own `{"message": ...}`.
INVALID_BODY = "The body does not match the request model (checked at the edge; nothing is started)"
GATEWAY_ERROR = "GatewayError"
GATEWAY_RESPONSES: dict[int, str] = {
    401: "Not signed in (apiAuth=cognito): the token is missing, expired or not this service's.",
    403: "Not authorised (apiAuth=iam or apiKey), or no such route.",
    429: "Throttled by the stage or usage plan; retry after a pause.",
}
GATEWAY_ERROR_SCHEMA: dict[str, Any] = {
    "title": GATEWAY_ERROR,
    "type": "object",
    "properties": {"message": {"type": "string"}},
    "required": ["message"],
}
RUN_ENDED = {
    "SUCCEEDED": "Run succeeded",
    "FAILED": "Run failed",
    "TIMED_OUT": "Run timed out",
    "ABORTED": "Run aborted",
}


@dataclass(frozen=True)
class Operation:
    """One public route: its request model and the answers it can give, by status."""

    path: str
    method: str
    operation_id: str
    summary: str
    # None for a route without a body (a GET); `{name}` in the path is a path parameter.
    request_schema: Mapping[str, Any] | None
    # status -> (description, body model); gateway answers are added to every route.
    responses: Mapping[int, tuple[str, type[BaseModel]]] = field(default_factory=dict)
    # status -> the headers that answer carries (a Busy body always carries Retry-After).
    headers: Mapping[int, Mapping[str, Any]] = field(default_factory=dict)
    # What a repeated Idempotency-Key header gets on this route, or None: no such header.
    idempotency: str | None = None
    # A body of raw bytes instead of JSON: the media types it may be sent as.
    binary_body: tuple[str, ...] = ()
    # A JSON body the route takes besides its raw bytes, checked by the function (not at the edge).
    json_alternative: Mapping[str, Any] | None = None


# A refusal for lack of capacity says when to come back, in its body and this header.
RETRY_AFTER_HEADER = {
    "Retry-After": {"description": "Seconds to wait before trying again.", "schema": {"type": "integer"}}
}
LOCATION_HEADER = {
    "Location": {"description": "The job's URL (GET it for progress).", "schema": {"type": "string"}}
}


def idempotency_key_parameter(description: str) -> dict[str, Any]:
    return {
        "name": IDEMPOTENCY_HEADER,
        "in": "header",
        "required": False,
        "description": description,
        "schema": {"type": "string", "minLength": 1, "maxLength": MAX_IDEMPOTENCY_KEY_CHARS},
    }


def _outcome_body(rule: OutcomeRule) -> type[BaseModel]:
    if rule.output_status == Decision.APPROVED:
        return ApprovedResponse
    if rule.output_status == Decision.REJECTED:
        return RejectedResponse
    if rule.output_status in (Decision.BUSY, Decision.PAUSED):
        return BusyResponse
    if rule.output_status == Decision.QUOTA_EXCEEDED:
        return QuotaExceededResponse
    if rule.output_status == Decision.CONFLICT:
        return ConflictResponse
    return ErrorResponse


def _outcome_description(rule: OutcomeRule) -> str:
    how = rule.output_status or rule.error or rule.error_code or "any other error"
    return f"{RUN_ENDED[rule.execution_status]} ({how})"


def outcome_responses() -> dict[int, tuple[str, type[BaseModel]]]:
    """The answers of a workflow route, one per HTTP status, from the outcome table."""
    descriptions: dict[int, list[str]] = {}
    bodies: dict[int, set[type[BaseModel]]] = {}
    for rule in OUTCOME_RULES:
        descriptions.setdefault(rule.http_status, []).append(_outcome_description(rule))
        bodies.setdefault(rule.http_status, set()).add(_outcome_body(rule))
    # The call to StartSyncExecution itself failing is answered 502 too.
    descriptions.setdefault(502, []).append("The run could not be started")
    bodies.setdefault(502, set()).add(ErrorResponse)
    answers = {}
    for status, models in bodies.items():
        if len(models) != 1:  # the document could not say which body comes back
            names = sorted(model.__name__ for model in models)
            raise ValueError(f"HTTP {status} answers with more than one body shape: {names}")
        (model,) = models
        answers[status] = ("; ".join(descriptions[status]) + ".", model)
    return answers


def outcome_headers() -> dict[int, Mapping[str, Any]]:
    """Retry-After on every answer whose row may carry one."""
    return {rule.http_status: RETRY_AFTER_HEADER for rule in OUTCOME_RULES if rule.retry_after}


OPERATIONS: tuple[Operation, ...] = (
    Operation(
        path="/generate",
        method="post",
        operation_id="generate",
        summary="Check the prompt, generate an image, moderate it and publish it (one synchronous run).",
        request_schema=GENERATE_REQUEST_SCHEMA,
        responses=outcome_responses(),
        headers=outcome_headers(),
        idempotency="A repeat with the same key within 24 h gets the first answer (an approved image "
        "with a new presigned URL) and generates nothing; while the first still runs, a repeat waits "
        "for its answer, or answers 409 RequestInProgress with Retry-After. The same key with a "
        "different body is a 409 IdempotencyKeyReused. A first request that ended without an answer "
        "(503, 502, 504, 400) frees its key.",
    ),
    Operation(
        path="/check-toxicity",
        method="post",
        operation_id="checkToxicity",
        summary="The prompt check alone: language and toxicity verdict, no image.",
        request_schema=CHECK_TOXICITY_REQUEST_SCHEMA,
        # The answers of handlers/check_toxicity_api.py.
        responses={
            200: ("The verdict (safe or not, with labels).", PromptVerdict),
            502: ("The prompt could not be checked.", ErrorResponse),
            503: ("The prompt checker is busy; try again in a moment.", ErrorResponse),
        },
    ),
    # The answers of handlers/verify_api.py.
    Operation(
        path="/verify",
        method="post",
        operation_id="verifyImage",
        summary="Read any image's provenance: its C2PA Content Credentials and this service's watermark.",
        request_schema=None,
        binary_body=VERIFY_MEDIA_TYPES,
        # An image above about 4.4 MB does not fit a Lambda payload: upload it first.
        json_alternative=VERIFY_UPLOAD_REQUEST_SCHEMA,
        responses={
            200: ("What the image's manifest and pixels say (both may be absent).", VerifyResponse),
            400: (
                "Not a PNG or JPEG image of at most 10 MB; or an upload_id that names no upload "
                "(never uploaded, already verified, or not an id POST /verify/uploads made).",
                ErrorResponse,
            ),
            503: ("The uploaded image cannot be read right now; try again.", ErrorResponse),
        },
    ),
    Operation(
        path="/verify/uploads",
        method="post",
        operation_id="createVerifyUpload",
        summary="An S3 presigned POST form for one image of up to 10 MB, to verify it by its upload_id.",
        request_schema=None,
        responses={
            201: (
                "POST `fields`, a `Content-Type` field (image/png or image/jpeg) and the image as the last "
                "field, `file`, to `url` as multipart/form-data within `expires_in` seconds; then POST "
                '`{"upload_id": ...}` to /verify. The upload is deleted once verified.',
                VerifyUploadForm,
            ),
        },
    ),
    # The answers of handlers/jobs_api.py.
    Operation(
        path="/jobs",
        method="post",
        operation_id="submitJob",
        summary="Queue a generation (with optional quality settings) as a job; poll its status URL.",
        request_schema=JOB_REQUEST_SCHEMA,
        responses={
            202: ("Accepted (or, for a repeated Idempotency-Key, the first job).", JobAccepted),
            409: ("The Idempotency-Key was used with a different body.", ConflictResponse),
            429: ("Too many jobs in flight; try again after Retry-After.", ErrorResponse),
            503: ("Jobs cannot be accepted right now.", ErrorResponse),
        },
        headers={202: LOCATION_HEADER, 429: RETRY_AFTER_HEADER},
        idempotency="A repeat with the same key within 24 h answers the same job and starts nothing; "
        "the same key with a different body is a 409.",
    ),
    Operation(
        path="/jobs/{job_id}",
        method="get",
        operation_id="getJob",
        summary="A job's stage and queue position; once done, the answer POST /generate would give.",
        request_schema=None,
        responses={
            200: ("The job.", JobView),
            404: ("No such job (jobs are kept 24 hours).", ErrorResponse),
        },
    ),
)


def request_model(schema: Mapping[str, Any]) -> dict[str, Any]:
    """A draft-4 request model as an OpenAPI 3.1 schema: the same keywords, without `$schema`."""
    return {key: value for key, value in schema.items() if key != "$schema"}


def _json(schema: Mapping[str, Any] | str) -> dict[str, Any]:
    ref = {"$ref": schema} if isinstance(schema, str) else dict(schema)
    return {"application/json": {"schema": ref}}


def _with_invalid_body(
    answer: tuple[str, type[BaseModel]] | None,
) -> tuple[str, type[BaseModel]]:
    """A route with a request model also answers 400 for a body the model refuses."""
    if answer is None:
        return f"{INVALID_BODY}.", ErrorResponse
    description, model = answer
    return f"{INVALID_BODY}; or {description[0].lower()}{description[1:]}", model


def build_openapi(operations: tuple[Operation, ...] = OPERATIONS) -> dict[str, Any]:
    models = {model for op in operations for _, model in op.responses.values()} | {ErrorResponse}
    _, definitions = models_json_schema(
        [(model, "serialization") for model in sorted(models, key=lambda m: m.__name__)],
        ref_template=COMPONENT_REF,
    )
    schemas: dict[str, Any] = dict(definitions.get("$defs", {}))
    schemas[GATEWAY_ERROR] = GATEWAY_ERROR_SCHEMA
    paths: dict[str, Any] = {}
    for op in operations:
        operation: dict[str, Any] = {"operationId": op.operation_id, "summary": op.summary}
        parameters = [
            {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
            for name in re.findall(r"\{(\w+)\}", op.path)
        ]
        if op.idempotency is not None:
            parameters.append(idempotency_key_parameter(op.idempotency))
        if parameters:
            operation["parameters"] = parameters
        if op.request_schema is not None:
            request_name = str(op.request_schema["title"])
            schemas[request_name] = request_model(op.request_schema)
            operation["requestBody"] = {"required": True, "content": _json(_ref_to(request_name))}
        if op.binary_body:
            binary = {"schema": {"type": "string", "format": "binary"}}
            operation["requestBody"] = {"required": True, "content": dict.fromkeys(op.binary_body, binary)}
        if op.json_alternative is not None:
            alternative_name = str(op.json_alternative["title"])
            schemas[alternative_name] = request_model(op.json_alternative)
            operation["requestBody"]["content"] |= _json(_ref_to(alternative_name))
        responses: dict[str, Any] = {}
        for status, description in GATEWAY_RESPONSES.items():
            responses[str(status)] = {"description": description, "content": _json(_ref_to(GATEWAY_ERROR))}
        answers = dict(op.responses)
        if op.request_schema is not None:
            answers[400] = _with_invalid_body(answers.get(400))
        for status, (description, model) in sorted(answers.items()):
            responses[str(status)] = {"description": description, "content": _json(_ref(model))}
            if model is BusyResponse:
                responses[str(status)]["headers"] = RETRY_AFTER_HEADER
            if status in op.headers:
                responses[str(status)]["headers"] = dict(op.headers[status])
        operation["responses"] = dict(sorted(responses.items()))
        paths.setdefault(op.path, {})[op.method] = operation
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "Responsible text-to-image",
            "version": API_VERSION,
            "description": (
                "Stable Diffusion XL behind moderation on both sides. Generated from "
                "lambdas/text2image/contract.py by workflow/ops/openapi.py; do not edit by hand."
            ),
        },
        "servers": [{"url": SERVER_PATH, "description": "The API stage on the site's own origin"}],
        "paths": paths,
        "components": {
            "schemas": dict(sorted(schemas.items())),
            "securitySchemes": {
                # Which one applies is a deployment choice (-c apiAuth); none by default.
                "apiKey": {"type": "apiKey", "in": "header", "name": "x-api-key"},
                "cognito": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "Authorization",
                    "description": "A Cognito ID token (USER_PASSWORD_AUTH), with -c apiAuth=cognito",
                },
                "sigv4": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "Authorization",
                    "description": "AWS Signature Version 4 (service execute-api), with -c apiAuth=iam",
                },
            },
        },
        "security": [{}, {"apiKey": []}, {"sigv4": []}, {"cognito": []}],
    }


def _ref(model: type[BaseModel]) -> str:
    return _ref_to(model.__name__)


def _ref_to(name: str) -> str:
    return COMPONENT_REF.format(model=name)


def render(document: Mapping[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help=f"write {OPENAPI_FILE.relative_to(REPO_ROOT)}")
    args = parser.parse_args(argv)
    text = render(build_openapi())
    if args.write:
        OPENAPI_FILE.write_text(text)
        print(f"wrote {OPENAPI_FILE.relative_to(REPO_ROOT)}")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
