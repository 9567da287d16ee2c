"""What the proxy-integration functions (CheckToxicityApi, JobsApi) answer for errors and bad bodies."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from pydantic import ValidationError

from text2image.contract import INVALID_REQUEST_ERROR, ErrorResponse
from text2image.handlers.common import describe


def error_response(status: int, error: str, message: str, headers: dict[str, str] | None = None) -> Response:
    body = ErrorResponse(status="FAILED", error=error, message=message)
    return Response(
        status_code=status,
        content_type=content_types.APPLICATION_JSON,
        body=body.model_dump(exclude_none=True),
        headers=headers,
    )


def answer_bad_bodies_with_400(app: APIGatewayRestResolver) -> None:
    """A body the model refuses, that is not JSON or not UTF-8, has a number too long
    (ValueError) or is nested deeper than the parser goes (RecursionError): 400."""

    @app.exception_handler(ValidationError)
    def invalid_body(error: ValidationError) -> Response:
        return error_response(400, INVALID_REQUEST_ERROR, f"Invalid request: {describe(error)}")

    @app.exception_handler([ValueError, RecursionError])
    def unreadable_body(error: Exception) -> Response:
        reason = "the body is nested too deeply" if isinstance(error, RecursionError) else str(error)
        return error_response(400, INVALID_REQUEST_ERROR, f"Invalid request: {reason}")
