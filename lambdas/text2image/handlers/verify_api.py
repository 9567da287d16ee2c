"""POST /verify: anyone sends an image and learns what its provenance says.

The image (`image/png` or `image/jpeg`, at most 10 MB) comes one of two ways: as
the raw body, or, when it is too large for API Gateway's Lambda payload, through
S3: `POST /verify/uploads` answers a presigned POST form, and `POST /verify` with
`{"upload_id": ...}` verifies the uploaded object, which is deleted afterwards
whatever the answer. The answer is the C2PA Content Credentials' reading and the
watermark's. Anything that is not such an image is a 400, never a 500.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

import boto3
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.config import Config

from text2image.adapters.certificates import CertificateChain
from text2image.adapters.errors import SERVICE_CLIENT_CONFIG
from text2image.adapters.verify_uploads import VerifyUploads
from text2image.config import VerifyConfig
from text2image.contract import (
    MAX_VERIFY_IMAGE_BYTES,
    VERIFY_MEDIA_TYPES,
    VerifyUploadForm,
    VerifyUploadRequest,
)
from text2image.domain.verify_uploads import (
    UPLOAD_EXPIRES_SECONDS,
    new_upload_id,
    upload_conditions,
    upload_key,
)
from text2image.errors import StorageThrottled, StorageUnavailable, WorkflowError
from text2image.handlers.api_answers import answer_bad_bodies_with_400, error_response
from text2image.observability import logger, observed_api_handler, traced
from text2image.provenance import verify_image

config = VerifyConfig.from_env()
certificates = (
    CertificateChain(lambda: boto3.client("ssm", config=SERVICE_CLIENT_CONFIG), config.certificate_parameter)
    if config.certificate_parameter
    else None
)
# Signature Version 4 and the bucket's own host: the form's URL is the one the page's CSP allows.
uploads = VerifyUploads(
    boto3.client(
        "s3",
        config=SERVICE_CLIENT_CONFIG.merge(
            Config(signature_version="s3v4", s3={"addressing_style": config.upload_addressing_style})
        ),
    ),
    config.bucket,
)
app = APIGatewayRestResolver(strip_prefixes=["/api"])
answer_bad_bodies_with_400(app)

UPLOAD_MEDIA_TYPE = "application/json"


class BadImage(ValueError):
    pass


def media_type(event: dict[str, Any]) -> str:
    headers = {name.lower(): value for name, value in (event.get("headers") or {}).items()}
    return (headers.get("content-type") or "").split(";")[0].strip().lower()


def body_bytes(event: dict[str, Any]) -> bytes:
    body = event.get("body") or ""
    try:
        return base64.b64decode(body, validate=True) if event.get("isBase64Encoded") else body.encode("utf-8")
    except (binascii.Error, ValueError, UnicodeEncodeError):
        raise BadImage("the body could not be read") from None


def image_bytes(event: dict[str, Any]) -> bytes:
    """The request's image, checked for type and size."""
    sent_as = media_type(event)
    if sent_as not in VERIFY_MEDIA_TYPES:
        raise BadImage(
            f"send the image as {' or '.join(VERIFY_MEDIA_TYPES)}, or an upload_id as {UPLOAD_MEDIA_TYPE}, "
            f"not {sent_as or 'nothing'}"
        )
    data = body_bytes(event)
    if not data:
        raise BadImage("the body is empty")
    if len(data) > MAX_VERIFY_IMAGE_BYTES:
        raise BadImage(f"the image is larger than {MAX_VERIFY_IMAGE_BYTES // (1024 * 1024)} MB")
    return data


def uploaded_image(event: dict[str, Any]) -> bytes:
    """The image uploaded with POST /verify/uploads' form; its object is gone afterwards."""
    request = VerifyUploadRequest.model_validate(json.loads(body_bytes(event) or b"null"))
    return uploads.take(upload_key(request.upload_id), MAX_VERIFY_IMAGE_BYTES, VERIFY_MEDIA_TYPES)


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
    event = app.current_event.raw_event
    data = uploaded_image(event) if media_type(event) == UPLOAD_MEDIA_TYPE else image_bytes(event)
    return verify_image(data, trust_anchors_pem=trust_anchor()).model_dump(mode="json")


@app.post("/verify/uploads")
@traced
def new_upload() -> Response:
    """A presigned POST for one image under a new id, good for UPLOAD_EXPIRES_SECONDS."""
    upload_id = new_upload_id()
    url, fields = uploads.form(
        upload_key(upload_id), upload_conditions(MAX_VERIFY_IMAGE_BYTES), UPLOAD_EXPIRES_SECONDS
    )
    form = VerifyUploadForm(
        upload_id=upload_id,
        url=url,
        fields=fields,
        max_bytes=MAX_VERIFY_IMAGE_BYTES,
        expires_in=UPLOAD_EXPIRES_SECONDS,
    )
    return Response(status_code=201, content_type=content_types.APPLICATION_JSON, body=form.model_dump())


@app.exception_handler([StorageThrottled, StorageUnavailable])
def storage_unavailable(error: WorkflowError) -> Response:
    logger.warning("the upload bucket is unavailable", extra={"error": str(error)})
    return error_response(503, "VerifyUnavailable", "The uploaded image cannot be read right now; try again.")


@observed_api_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
