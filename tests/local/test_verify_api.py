"""POST /api/verify on the local stack: the VerifyApi handler behind a real REST
proxy event, with the signing chain's root from the local SSM parameter."""

from __future__ import annotations

import io

import pytest
import requests
from PIL import Image
from werkzeug.test import Client

from tests.provenance.images import jpeg, photo, png
from text2image.contract import MAX_VERIFY_IMAGE_BYTES
from workflow.local.api import LocalApi
from workflow.local.backend import LocalBackend
from workflow.local.environment import LocalEnvironment


@pytest.fixture
def api(env: LocalEnvironment) -> Client:
    return Client(LocalApi(LocalBackend(env)))


def test_a_generated_image_and_its_jpeg_half_size_copy_are_recognised(api, env):
    generated = api.post("/api/generate", json={"prompt": "a lighthouse at dusk", "seed": 3}).json
    published = requests.get(generated["image_url"], timeout=10).content

    answer = api.post("/api/verify", data=published, content_type="image/png")
    assert answer.status_code == 200
    credentials = answer.json["content_credentials"]
    assert (credentials["present"], credentials["valid"], credentials["trusted"]) == (True, True, True)
    assert credentials["issuer"] and credentials["created"]
    assert answer.json["watermark"]["found"]

    copy = Image.open(io.BytesIO(jpeg(Image.open(io.BytesIO(published)), 80))).resize((512, 512))
    answer = api.post("/api/verify", data=png(copy), content_type="image/png")
    assert answer.status_code == 200
    assert answer.json["watermark"] == generated_payload(answer.json)
    assert answer.json["content_credentials"]["present"] is False


def generated_payload(body: dict) -> dict:
    assert body["watermark"]["found"] and body["watermark"]["payload"].startswith("text2image:")
    return body["watermark"]


def test_an_unmarked_photo_has_neither(api):
    answer = api.post("/api/verify", data=png(photo(2, (640, 480))), content_type="image/png")
    assert answer.status_code == 200
    assert answer.json["watermark"] == {"found": False, "payload": None}
    assert answer.json["content_credentials"]["present"] is False


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"", "image/png"),
        (b"not an image", "image/png"),
        (b"GIF89a\x01\x00\x01\x00", "image/gif"),
        (png(photo(0, (64, 64))), "text/plain"),
        (png(photo(0, (64, 64))), "image/png"),  # too small to carry a watermark: still an answer
    ],
)
def test_bad_input_is_a_400_never_a_500(api, body, content_type):
    answer = api.post("/api/verify", data=body, content_type=content_type)
    assert answer.status_code in (200, 400)
    if body[:4] != b"\x89PNG" or content_type != "image/png":
        assert answer.status_code == 400
        assert answer.json["error"] == "InvalidRequest"


def test_an_image_over_10_mb_is_refused(api):
    answer = api.post(
        "/api/verify", data=b"\x89PNG\r\n\x1a\n" + b"\0" * MAX_VERIFY_IMAGE_BYTES, content_type="image/png"
    )
    assert answer.status_code in (400, 413)


def test_an_image_of_too_many_pixels_is_a_400_naming_the_limit(api):
    small_file = png(Image.new("RGB", (9000, 9000), (12, 34, 56)))
    answer = api.post("/api/verify", data=small_file, content_type="image/png")
    assert answer.status_code == 400
    assert "at most 50 megapixels" in answer.json["message"]
