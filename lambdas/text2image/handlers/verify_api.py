"""POST /verify: anyone sends an image's bytes and learns what its provenance says.

The body is the raw image (`image/png` or `image/jpeg`, at most 10 MB); the answer
is the C2PA Content Credentials' reading and the watermark's. Anything that is
not such an image is a 400, never a 500.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

import boto3
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.utilities.typing import LambdaContext

from text2image.adapters.certificates import CertificateChain
from text2image.adapters.errors import SERVICE_CLIENT_CONFIG
from text2image.config import VerifyConfig
from text2image.contract import INVALID_REQUEST_ERROR, MAX_VERIFY_IMAGE_BYTES, VERIFY_MEDIA_TYPES
from text2image.errors import WorkflowError
from text2image.handlers.api_answers import error_response
from text2image.observability import logger, observed_api_handler, traced
from text2image.provenance import verify_image

config = VerifyConfig.from_env()
certificates = (
    CertificateChain(lambda: boto3.client("ssm", config=SERVICE_CLIENT_CONFIG), config.certificate_parameter)
    if config.certificate_parameter
    else None
)
app = APIGatewayRestResolver(strip_prefixes=["/api"])


class BadImage(ValueError):
    pass


def image_bytes(event: dict[str, Any]) -> bytes:
    """The request's image, checked for type and size."""
    headers = {name.lower(): value for name, value in (event.get("headers") or {}).items()}
    media_type = (headers.get("content-type") or "").split(";")[0].strip().lower()
    if media_type not in VERIFY_MEDIA_TYPES:
        raise BadImage(f"send the image as {' or '.join(VERIFY_MEDIA_TYPES)}, not {media_type or 'nothing'}")
    body = event.get("body") or ""
    try:
        data = base64.b64decode(body, validate=True) if event.get("isBase64Encoded") else body.encode("utf-8")
    except (binascii.Error, ValueError, UnicodeEncodeError):
        raise BadImage("the body could not be read as an image") from None
    if not data:
        raise BadImage("the body is empty")
    if len(data) > MAX_VERIFY_IMAGE_BYTES:
        raise BadImage(f"the image is larger than {MAX_VERIFY_IMAGE_BYTES // (1024 * 1024)} MB")
    return data


def trust_anchor() -> str | None:
    """The signing chain's root, if it can be read: without it, credentials are still checked."""
    if certificates is None:
        return None
    try:
        return certificates.root_pem()
    except WorkflowError:
        logger.warning("the signing certificate could not be read; verifying without a trust anchor")
        return None


@app.post("/verify")
@traced
def verify() -> dict[str, Any]:
    data = image_bytes(app.current_event.raw_event)
    return verify_image(data, trust_anchors_pem=trust_anchor()).model_dump(mode="json")


@app.exception_handler(ValueError)
def not_an_image(error: ValueError) -> Response:
    return error_response(400, INVALID_REQUEST_ERROR, f"Invalid request: {error}")


@observed_api_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
