"""Marking and verifying images with the real libraries (invisible-watermark's
dwtDctSvd, c2pa-python) and a P-256 key certified by a development CA made in a
temporary folder. No AWS: the signature comes from the key directly, as KMS's would."""

from __future__ import annotations

import io
import struct
import zlib
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from PIL import Image

from tests.provenance.images import jpeg, photo, png, unmarked_images
from tests.provenance.reference import library_embed, library_extract
from text2image.adapters import watermark
from text2image.adapters.kms import der_to_raw
from text2image.domain.provenance import (
    TRAINED_ALGORITHMIC_MEDIA,
    ManifestFacts,
    execution_hash,
    read_payload,
)
from text2image.errors import ImageNotMarkable, SigningThrottled
from text2image.provenance import mark_image, read_watermark, verify_image
from workflow.local.dev_ca import chain_pem, dev_ca, signing_certificate

EXECUTION_ID = "arn:aws:states:us-east-1:123456789012:execution:text2image:run-1"
MODEL = "model-imagegeneration-stabilityai-stable-diffusion-xl-base-1-0"


class Signer:
    """A P-256 key certified by a development CA, signing as the KMS adapter answers."""

    def __init__(self, directory: Path) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        ca_certificate, ca_key = dev_ca(directory)
        public = self.key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        self.chain = chain_pem(signing_certificate(public, ca_certificate, ca_key), ca_certificate)
        self.root = chain_pem(ca_certificate)

    def sign(self, data: bytes) -> bytes:
        return der_to_raw(self.key.sign(data, ec.ECDSA(hashes.SHA256())))


@pytest.fixture(scope="module")
def signer(tmp_path_factory: pytest.TempPathFactory) -> Signer:
    return Signer(tmp_path_factory.mktemp("dev-ca"))


def facts(prompt: str | None = None) -> ManifestFacts:
    return ManifestFacts(
        title="image.png",
        model_id=MODEL,
        model_version="1.0",
        created=datetime(2026, 11, 2, 12, 0, tzinfo=UTC),
        execution_hash=execution_hash(EXECUTION_ID),
        prompt_verdict="safe",
        prompt=prompt,
    )


@pytest.fixture(scope="module")
def marked(signer: Signer) -> tuple[bytes, float]:
    return mark_image(png(photo(0)), "image/png", EXECUTION_ID, facts(), signer.sign, signer.chain)


def test_a_marked_image_carries_valid_trusted_credentials_and_its_runs_watermark(signer, marked):
    image, quality = marked
    answer = verify_image(image, trust_anchors_pem=signer.root)

    credentials = answer.content_credentials
    assert (credentials.present, credentials.valid, credentials.trusted) == (True, True, True)
    assert credentials.digital_source_type == TRAINED_ALGORITHMIC_MEDIA
    assert credentials.generator == f"{MODEL} 1.0"
    assert credentials.issuer == "text2image (development)"
    assert credentials.created == "2026-11-02T12:00:00+00:00"
    assert answer.watermark.found
    assert answer.watermark.payload == f"text2image:{execution_hash(EXECUTION_ID)}"
    assert quality >= 38.0


def test_the_watermark_keeps_visible_quality_above_38_db_on_photos():
    for index in range(3):
        pixels = np.asarray(photo(index))
        marked = watermark.embed(pixels, [1, 0] * 24)
        assert watermark.psnr(pixels, marked) >= 38.0


def test_without_the_trust_anchor_the_credentials_are_valid_but_not_trusted(marked):
    credentials = verify_image(marked[0]).content_credentials
    assert (credentials.valid, credentials.trusted) == (True, False)
    assert "signingCredential.untrusted" in credentials.validation_errors


def test_the_manifest_records_the_prompt_only_when_the_operator_turns_it_on(signer):
    import c2pa

    image = png(photo(1, (512, 512)))
    for prompt in (None, "a jaguar"):
        signed, _ = mark_image(image, "image/png", EXECUTION_ID, facts(prompt), signer.sign, signer.chain)
        with c2pa.Reader("image/png", io.BytesIO(signed)) as reader:
            text = reader.json()
        assert ("a jaguar" in text) is (prompt is not None)
        assert "com.text2image.moderation" in text


def with_pixel_changed(signed_png: bytes) -> bytes:
    """The same PNG with one pixel changed and its C2PA chunk (caBX) kept where it was."""
    chunks = _chunks(signed_png)
    manifest = next(chunk for chunk in chunks if chunk[0] == b"caBX")
    pixels = np.array(Image.open(io.BytesIO(signed_png)))
    pixels[10, 10, 0] ^= 0x10
    changed = [chunk for chunk in _chunks(png(Image.fromarray(pixels))) if chunk[0] != b"caBX"]
    changed.insert(1, manifest)  # after IHDR, where the signer put it
    return b"\x89PNG\r\n\x1a\n" + b"".join(
        struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        for kind, data in changed
    )


def _chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    chunks, offset = [], 8
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        chunks.append((data[offset + 4 : offset + 8], data[offset + 8 : offset + 8 + length]))
        offset += 12 + length
    return chunks


def test_one_changed_pixel_invalidates_the_credentials_but_not_the_watermark(signer, marked):
    answer = verify_image(with_pixel_changed(marked[0]), trust_anchors_pem=signer.root)

    assert answer.content_credentials.present
    assert not answer.content_credentials.valid
    assert "assertion.dataHash.mismatch" in answer.content_credentials.validation_errors
    assert answer.watermark.found


def test_jpeg_80_and_a_half_size_copy_keeps_the_watermark_and_loses_the_credentials(marked):
    copy = Image.open(io.BytesIO(jpeg(Image.open(io.BytesIO(marked[0])), quality=80)))
    small = copy.resize((512, 512), Image.Resampling.LANCZOS)
    answer = verify_image(png(small))

    assert answer.watermark.found
    assert answer.watermark.payload == f"text2image:{execution_hash(EXECUTION_ID)}"
    assert not answer.content_credentials.present
    assert "No Content Credentials" in answer.content_credentials.explanation


def half_size(image: Image.Image, resample: Image.Resampling) -> Image.Image:
    return image.resize((image.width // 2, image.height // 2), resample)


@pytest.mark.parametrize(
    "resample",
    [Image.Resampling.BICUBIC, Image.Resampling.LANCZOS, Image.Resampling.BILINEAR],
    ids=["bicubic", "lanczos", "bilinear"],
)
def test_a_half_size_copy_saved_as_jpeg_80_keeps_the_watermark_and_its_run(marked, resample):
    # JPEG halves the chroma planes of the already halved image: a chroma mark is lost here.
    small = half_size(Image.open(io.BytesIO(marked[0])).convert("RGB"), resample)
    answer = verify_image(jpeg(small, quality=80))

    assert answer.watermark.payload == f"text2image:{execution_hash(EXECUTION_ID)}"
    assert not answer.content_credentials.present


@pytest.mark.parametrize("index", [1, 2])
def test_every_test_photo_keeps_its_watermark_through_half_size_then_jpeg_80(index):
    bits = [int(bit) for bit in format(0xB4E15A000000 + index, "048b")]
    marked = Image.fromarray(watermark.embed(np.asarray(photo(index)), bits))
    copy = Image.open(io.BytesIO(jpeg(half_size(marked, Image.Resampling.BICUBIC), quality=80)))

    assert watermark.extract(watermark.pixels_at(copy.convert("RGB"), 1024, 1024)) == bits


def test_an_upscaled_copy_is_read_at_its_original_size(marked):
    large = Image.open(io.BytesIO(marked[0])).convert("RGB").resize((2560, 2560), Image.Resampling.BICUBIC)
    answer = verify_image(jpeg(large, quality=90))
    assert answer.watermark.payload == f"text2image:{execution_hash(EXECUTION_ID)}"


def test_an_image_of_too_many_pixels_is_refused_before_it_is_decoded():
    # 9000 x 9000 of one colour: a few hundred kilobytes of PNG, 243 MB once decoded.
    with pytest.raises(ValueError, match="9000x9000 pixels; at most 50 megapixels"):
        verify_image(png(Image.new("RGB", (9000, 9000), (120, 130, 140))))


def test_a_jpeg_re_encoding_alone_keeps_the_watermark(marked):
    answer = verify_image(jpeg(Image.open(io.BytesIO(marked[0])), quality=80))
    assert answer.watermark.found and not answer.content_credentials.present


def test_unmarked_images_are_almost_never_reported_as_watermarked():
    images = unmarked_images(210)
    found = [index for index, image in enumerate(images) if read_watermark(png(image)).found]
    assert len(found) <= len(images) // 100, found


def test_unmarked_photos_at_an_original_size_are_not_reported_either():
    for index in range(3):
        bits = watermark.extract(np.asarray(photo(index)))
        assert not read_payload(bits).found


def test_a_signing_failure_is_raised_as_the_signers_own_error(signer):
    def throttled(data: bytes) -> bytes:
        raise SigningThrottled("The image could not be signed (throttled: ThrottlingException)")

    with pytest.raises(SigningThrottled):
        mark_image(png(photo(0, (512, 512))), "image/png", EXECUTION_ID, facts(), throttled, signer.chain)


def test_bytes_that_are_not_an_image_cannot_be_marked(signer):
    with pytest.raises(ImageNotMarkable):
        mark_image(
            b"\x89PNG\r\n\x1a\nnot really", "image/png", EXECUTION_ID, facts(), signer.sign, signer.chain
        )


@pytest.mark.parametrize("body", [b"", b"GIF89a....", b"\x89PNG\r\n\x1a\ntruncated", b"\xff\xd8\xff\xe0junk"])
def test_anything_but_a_readable_png_or_jpeg_is_a_value_error(body):
    with pytest.raises(ValueError):
        verify_image(body)


def test_the_vectorised_watermark_is_invisible_watermarks_dwtdctsvd_both_ways():
    pixels = np.asarray(photo(1, (512, 512)))
    bits = [int(bit) for bit in format(0xB4E15A123456, "048b")]
    assert library_extract(watermark.embed(pixels, bits), len(bits)) == bits
    assert watermark.extract(library_embed(pixels, bits)) == bits
