"""POST /api/verify/uploads and POST /api/verify by upload_id on the local stack: an image
larger than API Gateway's Lambda payload (about 4.4 MB) goes to S3 (moto's server) with the
presigned POST form, through HTTP as a browser sends it, is verified and then deleted."""

from __future__ import annotations

import base64
import io
import json
import struct
import uuid
import zlib
from datetime import UTC, datetime

import numpy as np
import pytest
import requests
from werkzeug.test import Client

from text2image.contract import MAX_VERIFY_IMAGE_BYTES
from text2image.domain.storage import VERIFY_UPLOAD_PREFIX
from workflow.local.api import LocalApi
from workflow.local.backend import LocalBackend
from workflow.local.environment import LocalEnvironment

# What one Lambda proxy payload carries of an image: 6 MB, base64-encoded.
GATEWAY_IMAGE_LIMIT = 6 * 1024 * 1024 * 3 // 4


@pytest.fixture
def api(env: LocalEnvironment) -> Client:
    return Client(LocalApi(LocalBackend(env)))


def padded_png(image: bytes, size: int) -> bytes:
    """The PNG with a private ancillary chunk of noise before IEND, `size` bytes in all:
    still a valid PNG whose pixels are unchanged."""
    assert image[:8] == b"\x89PNG\r\n\x1a\n" and image[-12:-8] == b"\x00\x00\x00\x00"
    length = size - len(image) - 12
    data = np.random.default_rng(7).integers(0, 256, length, dtype=np.uint8).tobytes()
    chunk = struct.pack(">I", length) + b"paDd" + data + struct.pack(">I", zlib.crc32(b"paDd" + data))
    return image[:-12] + chunk + image[-12:]


def request_form(api: Client) -> dict:
    answer = api.post("/api/verify/uploads")
    assert answer.status_code == 201, answer.json
    return answer.json


def upload(form: dict, data: bytes, content_type: str = "image/png") -> requests.Response:
    """The form as a browser posts it: the fields, the file's type, then the file."""
    return requests.post(
        form["url"],
        data=form["fields"] | {"Content-Type": content_type},
        files={"file": ("image", data, content_type)},
        timeout=60,
    )


def test_an_image_too_large_for_the_gateway_is_verified_from_its_upload_and_then_deleted(api, env):
    generated = api.post("/api/generate", json={"prompt": "a lighthouse at dusk", "seed": 3}).json
    published = requests.get(generated["image_url"], timeout=10).content
    large = padded_png(published, 5_500_000)
    assert GATEWAY_IMAGE_LIMIT < len(large) < MAX_VERIFY_IMAGE_BYTES
    form = request_form(api)
    key = f"{VERIFY_UPLOAD_PREFIX}{form['upload_id']}"

    assert upload(form, large).status_code == 204
    assert env.keys(VERIFY_UPLOAD_PREFIX) == [key]
    answer = api.post("/api/verify", json={"upload_id": form["upload_id"]})

    assert answer.status_code == 200, answer.json
    assert answer.json["watermark"]["found"]
    assert answer.json["watermark"]["payload"].startswith("text2image:")
    assert answer.json["content_credentials"]["present"] is True
    # The same bytes in the body (possible locally, not through API Gateway) get the same answer.
    direct = api.post("/api/verify", data=large, content_type="image/png")
    assert direct.json == answer.json
    assert env.keys(VERIFY_UPLOAD_PREFIX) == []


def test_the_form_lets_s3_take_one_image_of_at_most_10_mb_at_its_key_for_five_minutes(api):
    form = request_form(api)
    policy = json.loads(base64.b64decode(form["fields"]["policy"]))
    conditions = policy["conditions"]

    assert uuid.UUID(form["upload_id"]).version == 4
    assert form["fields"]["key"] == f"{VERIFY_UPLOAD_PREFIX}{form['upload_id']}"
    assert {"key": form["fields"]["key"]} in conditions
    assert ["content-length-range", 1, MAX_VERIFY_IMAGE_BYTES] in conditions
    assert ["starts-with", "$Content-Type", "image/"] in conditions
    assert (form["max_bytes"], form["expires_in"]) == (MAX_VERIFY_IMAGE_BYTES, 300)
    expires = datetime.fromisoformat(policy["expiration"].replace("Z", "+00:00"))
    assert 240 < (expires - datetime.now(UTC)).total_seconds() <= 300
    assert form["fields"]["x-amz-algorithm"] == "AWS4-HMAC-SHA256"


def test_an_id_that_was_never_uploaded_is_a_400(api):
    answer = api.post("/api/verify", json={"upload_id": str(uuid.uuid4())})
    assert answer.status_code == 400
    assert answer.json["error"] == "InvalidRequest"
    assert "no image was uploaded with this upload_id" in answer.json["message"]


def test_an_upload_is_verified_once(api, env):
    form = request_form(api)
    upload(form, padded_png(small_png(), 200_000))
    assert api.post("/api/verify", json={"upload_id": form["upload_id"]}).status_code == 200
    assert api.post("/api/verify", json={"upload_id": form["upload_id"]}).status_code == 400


@pytest.mark.parametrize(
    "upload_id",
    [
        "../generated_images/x.png",
        "verify-uploads/" + str(uuid.uuid4()),
        str(uuid.uuid4()).upper(),
        str(uuid.uuid1()),
        uuid.uuid4().hex,
        "",
        42,
        None,
    ],
)
def test_anything_but_a_uuid4_is_refused_before_s3_is_asked(api, upload_id):
    answer = api.post("/api/verify", json={"upload_id": upload_id})
    assert answer.status_code == 400
    assert answer.json["error"] == "InvalidRequest"


@pytest.mark.parametrize("body", [b"", b"not json", b"[]", b'{"upload_id": "x", "extra": 1}'])
def test_a_json_body_without_an_upload_id_is_a_400(api, body):
    answer = api.post("/api/verify", data=body, content_type="application/json")
    assert answer.status_code == 400
    assert answer.json["error"] == "InvalidRequest"


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        (b"not an image at all", "image/png"),
        (b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "image/gif"),
    ],
)
def test_an_upload_that_is_not_a_png_or_jpeg_is_a_400_and_is_deleted(api, env, data, content_type):
    form = request_form(api)
    assert upload(form, data, content_type).status_code == 204
    answer = api.post("/api/verify", json={"upload_id": form["upload_id"]})
    assert answer.status_code == 400
    assert answer.json["error"] == "InvalidRequest"
    assert env.keys(VERIFY_UPLOAD_PREFIX) == []


def test_an_upload_over_10_mb_is_refused_and_deleted(api, env):
    # S3 refuses it at upload (the policy's content-length-range); moto takes any size,
    # so locally it is refused when verified.
    form = request_form(api)
    upload(form, padded_png(small_png(), MAX_VERIFY_IMAGE_BYTES + 1))
    answer = api.post("/api/verify", json={"upload_id": form["upload_id"]})
    assert answer.status_code == 400
    assert "larger than 10 MB" in answer.json["message"]
    assert env.keys(VERIFY_UPLOAD_PREFIX) == []


def small_png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(np.full((96, 96, 3), 128, dtype=np.uint8)).save(buffer, "PNG")
    return buffer.getvalue()
