"""C2PA Content Credentials with `c2pa-python`: sign a manifest into an image, read one back.

The signature is made by a callback (`sign`: bytes to sign in, raw ES256 `r||s`
out), so the private key can stay in AWS KMS. c2pa-python swallows an exception
raised inside the callback and reports only that signing failed; the signer
keeps the callback's own error so that the caller can tell a KMS throttle from a
refusal. The native library (about 50 MB) loads on the first call, not at import.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import Any

SUPPORTED_MEDIA_TYPES = ("image/png", "image/jpeg")
# No thumbnail in the manifest: it would add a JPEG copy of the image to every file.
BUILDER_SETTINGS: dict[str, Any] = {"builder": {"thumbnail": {"enabled": False}}}


class SigningFailed(Exception):
    """c2pa-python could not sign; `cause` is the callback's own error, if it raised one."""

    def __init__(self, message: str, cause: BaseException | None = None) -> None:
        super().__init__(message)
        self.cause = cause


def sign_image(
    image: bytes,
    media_type: str,
    manifest: dict[str, Any],
    sign: Callable[[bytes], bytes],
    certificate_chain_pem: str,
) -> bytes:
    """The image with `manifest` embedded and signed (ES256) by `sign`, whose
    certificate chain (leaf first) is `certificate_chain_pem`."""
    import c2pa

    failure: list[BaseException] = []

    def remembered(data: bytes) -> bytes:
        try:
            return sign(data)
        except BaseException as error:
            failure.append(error)
            raise

    try:
        signer = c2pa.Signer.from_callback(remembered, c2pa.C2paSigningAlg.ES256, certificate_chain_pem, None)
        context = c2pa.Context.from_dict(BUILDER_SETTINGS)
        with signer, c2pa.Builder(manifest, context=context) as builder:
            signed = io.BytesIO()
            builder.sign(signer, media_type, io.BytesIO(image), signed)
    except c2pa.C2paError as error:
        raise SigningFailed(f"C2PA signing failed: {error}", failure[0] if failure else None) from None
    return signed.getvalue()


def read_manifest_store(
    image: bytes, media_type: str, trust_anchors_pem: str | None = None
) -> dict[str, Any] | None:
    """The image's C2PA manifest store (with its validation results), or None if it has none.
    With trust anchors, a chain that reaches one is reported `Trusted`."""
    import c2pa

    settings: dict[str, Any] = {}
    if trust_anchors_pem:
        settings["trust"] = {"trust_anchors": trust_anchors_pem}
    context = c2pa.Context.from_dict(settings) if settings else None
    try:
        reader = c2pa.Reader.try_create(media_type, io.BytesIO(image), context=context)
    except c2pa.C2paError as error:
        # A manifest too damaged to parse is present, and invalid.
        return {"validation_state": "Invalid", "validation_status": [{"code": _code(error)}]}
    if reader is None:
        return None
    with reader:
        return json.loads(reader.json())


def _code(error: Exception) -> str:
    return f"c2pa.{type(error).__name__.lstrip('_').replace('C2pa', '').lower() or 'error'}"
