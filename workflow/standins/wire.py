"""AWS's JSON error shape and the JSON 1.1 responses of the stand-ins."""

from __future__ import annotations

import json
import uuid
from typing import Any

from werkzeug.wrappers import Response

AMZ_JSON = "application/x-amz-json-1.1"


class AwsError(Exception):
    """An error answered as AWS does: `__type`, `message` and the HTTP status.
    botocore builds its exception class from `__type`."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        # Members some errors carry beside the message (e.g. Translate's DetectedLanguageCode).
        self.fields: dict[str, Any] = {}

    def response(self, content_type: str = AMZ_JSON) -> Response:
        body = {"__type": self.code, "message": self.message, **self.fields}
        return aws_json_response(body, status=self.status, content_type=content_type, error_code=self.code)


def aws_json_response(
    body: Any, status: int = 200, content_type: str = AMZ_JSON, error_code: str | None = None
) -> Response:
    headers = {"x-amzn-RequestId": str(uuid.uuid4())}
    if error_code:
        headers["x-amzn-ErrorType"] = error_code
    return Response(json.dumps(body), status=status, content_type=content_type, headers=headers)


def parse_json(raw: bytes, code: str = "SerializationException") -> dict[str, Any]:
    try:
        value = json.loads(raw or b"{}")
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise AwsError(code, "The request body is not valid JSON.") from None
    if not isinstance(value, dict):
        raise AwsError(code, "The request body must be a JSON object.")
    return value
