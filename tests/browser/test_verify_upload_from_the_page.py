"""POST /verify through S3 as the page's JavaScript does it, in headless Chromium on the page's
origin: the form goes cross-origin to moto's S3 server, whose CORS answer lets the page read it."""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import Page

pytestmark = pytest.mark.browser

# What the page runs: ask for a form, post the file to S3 with it, verify by the id.
VERIFY_THROUGH_S3 = """
async (encoded) => {
  const bytes = Uint8Array.from(atob(encoded), (c) => c.charCodeAt(0));
  const file = new File([bytes], "large.png", { type: "image/png" });
  const form = await (await fetch("api/verify/uploads", { method: "POST" })).json();
  const body = new FormData();
  for (const [name, value] of Object.entries(form.fields)) body.append(name, value);
  body.append("Content-Type", file.type);
  body.append("file", file);
  const upload = await fetch(form.url, { method: "POST", body });
  const answer = await fetch("api/verify", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ upload_id: form.upload_id }),
  });
  return { upload: upload.status, status: answer.status, body: await answer.json(), form };
}
"""


def noise_png(side: int) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.random.default_rng(5).integers(0, 256, (side, side, 3), dtype=np.uint8)).save(
        buffer, "PNG"
    )
    return buffer.getvalue()


def test_the_page_verifies_an_image_too_large_for_the_gateway_through_an_s3_form(page: Page, stack):
    image = noise_png(1400)  # about 5.9 MB: more than a Lambda payload takes base64-encoded
    assert len(image) > 6 * 1024 * 1024 * 3 // 4
    page.goto(f"{stack.url}/")

    result = page.evaluate(VERIFY_THROUGH_S3, base64.b64encode(image).decode("ascii"))

    assert not result["form"]["url"].startswith(stack.url)  # a cross-origin POST, to moto's S3
    assert result["upload"] == 204
    assert result["status"] == 200, result["body"]
    assert result["body"]["media_type"] == "image/png"
    assert result["body"]["watermark"] == {"found": False, "payload": None}
