"""Marking an image (watermark, then a signed C2PA manifest over the watermarked
pixels) and reading both back. No AWS: the signature comes from a callback.
"""

from __future__ import annotations

from collections.abc import Callable

from text2image.adapters import content_credentials, watermark
from text2image.contract import SDXL_SIZES, parse_size
from text2image.domain.provenance import (
    PRODUCT,
    ContentCredentials,
    ManifestFacts,
    VerifyResponse,
    WatermarkReport,
    decoding_sizes,
    manifest_definition,
    read_content_credentials,
    read_payload,
    watermark_payload,
)
from text2image.errors import ImageNotMarkable, WorkflowError

SERVICE_VERSION = "1"
ORIGINAL_SIZES: tuple[tuple[int, int], ...] = tuple(parse_size(size) for size in SDXL_SIZES)
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
JPEG_MAGIC = b"\xff\xd8\xff"


def media_type_of(data: bytes) -> str | None:
    """image/png or image/jpeg by the bytes' own signature, else None."""
    if data.startswith(PNG_MAGIC):
        return "image/png"
    if data.startswith(JPEG_MAGIC):
        return "image/jpeg"
    return None


def mark_image(
    image: bytes,
    media_type: str,
    execution_id: str,
    facts: ManifestFacts,
    sign: Callable[[bytes], bytes],
    certificate_chain_pem: str,
) -> tuple[bytes, float]:
    """The image watermarked and then signed, and the watermark's PSNR in dB.
    A failure of the signature's callback is raised as its own (workflow) error."""
    try:
        pixels = watermark.decode_image(image)
        marked_pixels = watermark.embed(pixels, watermark_payload(execution_id))
        quality = watermark.psnr(pixels, marked_pixels)
        marked = watermark.encode_image(marked_pixels, media_type)
    except watermark.ImageNotReadable as error:
        raise ImageNotMarkable(f"The image could not be watermarked: {error}") from None
    try:
        signed = content_credentials.sign_image(
            marked, media_type, manifest_definition(facts, SERVICE_VERSION), sign, certificate_chain_pem
        )
    except content_credentials.SigningFailed as failure:
        if isinstance(failure.cause, WorkflowError):
            raise failure.cause from None
        raise ImageNotMarkable(str(failure)) from None
    return signed, quality


def read_watermark(image: bytes) -> WatermarkReport:
    """This service's watermark, read at the image's size (unless it is very large) and
    at each original size of the same shape, where a resized copy lines up again."""
    decoded = watermark.open_image(image)
    for size in decoding_sizes(*decoded.size, ORIGINAL_SIZES):
        if size[0] * size[1] < watermark.MIN_PIXELS:
            continue
        report = read_payload(watermark.extract(watermark.pixels_at(decoded, *size)))
        if report.found:
            return report
    return WatermarkReport(found=False)


def verify_image(image: bytes, trust_anchors_pem: str | None = None) -> VerifyResponse:
    """Both provenance signals of any PNG or JPEG. Raises ValueError for anything else."""
    media_type = media_type_of(image)
    if media_type is None:
        raise ValueError("the body is not a PNG or JPEG image")
    try:
        report = read_watermark(image)
    except watermark.ImageNotReadable as error:
        raise ValueError(str(error)) from None
    store = content_credentials.read_manifest_store(image, media_type, trust_anchors_pem)
    credentials: ContentCredentials = read_content_credentials(store)
    return VerifyResponse(content_credentials=credentials, watermark=report, media_type=media_type)


__all__ = ["PRODUCT", "mark_image", "media_type_of", "read_watermark", "verify_image"]
