"""Uploads for POST /verify: an image too large for API Gateway's Lambda payload goes to S3 first.

`POST /verify/uploads` answers a presigned POST form for one key, the caller posts
the image to S3 with it, and `POST /verify` with `{"upload_id": ...}` verifies that
object and deletes it. The id is a random UUID the service made: it is the only
part of the key a caller names, so nothing but a canonical UUID4 is accepted.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from text2image.domain.storage import VERIFY_UPLOAD_PREFIX

# A form is good for this long; the stack's lifecycle rule removes what is never verified.
UPLOAD_EXPIRES_SECONDS = 300
UPLOAD_ID_PATTERN = r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"
_UPLOAD_ID = re.compile(UPLOAD_ID_PATTERN)


class UnknownUploadId(ValueError):
    """Not an id POST /verify/uploads could have made."""


def new_upload_id() -> str:
    return str(uuid.uuid4())


def upload_key(upload_id: str) -> str:
    """The object key of an upload id, for a canonical (lower-case, hyphenated) UUID4 only."""
    if not isinstance(upload_id, str) or not _UPLOAD_ID.fullmatch(upload_id):
        raise UnknownUploadId("upload_id must be the id POST /verify/uploads answered")
    return f"{VERIFY_UPLOAD_PREFIX}{upload_id}"


def upload_conditions(max_bytes: int) -> list[Any]:
    """The POST policy's conditions beside the bucket and key: 1 byte to `max_bytes`, an image type.

    A policy cannot allow exactly two values of a field, so S3 takes any `image/`
    type and the verifier refuses all but PNG and JPEG when it reads the object."""
    return [["content-length-range", 1, max_bytes], ["starts-with", "$Content-Type", "image/"]]
