"""Provenance: what the watermark carries, what the C2PA manifest says, and how a
reading of both is reported. Pure Python: no AWS, no image libraries.

The watermark payload is 48 bits: a 24-bit product tag, then the first 24 bits of
the SHA-256 of the execution id. The tag says "made by this service"; the hash
leads a found watermark back to its run (`execution_hash`), without publishing
the execution id itself.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from pydantic import Field

from text2image.contract import Label
from text2image.deferred_model import DeferredModel

PRODUCT = "text2image"
# An arbitrary constant with as many ones as zeros, so that neither a flat image
# (all bits one way) nor a biased decoder reads it by chance.
PRODUCT_TAG = 0xB4E15A
TAG_BITS = 24
HASH_BITS = 24
PAYLOAD_BITS = TAG_BITS + HASH_BITS
# A decoded tag counts as found within this many flipped bits: the chance that an
# unmarked image's 24 near-random bits land this close is (1 + 24 + 276) / 2**24,
# about 2 in 100,000 per reading.
TAG_TOLERANCE_BITS = 2

TRAINED_ALGORITHMIC_MEDIA = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
MODERATION_ASSERTION = "com.text2image.moderation"
GENERATOR_ASSERTION = "com.text2image.generator"


def execution_hash(execution_id: str) -> str:
    """The watermark's run reference: 6 hex digits of the execution id's SHA-256."""
    return hashlib.sha256(execution_id.encode("utf-8")).hexdigest()[: HASH_BITS // 4]


def watermark_payload(execution_id: str) -> list[int]:
    """The 48 bits embedded in the pixels, most significant first."""
    value = (PRODUCT_TAG << HASH_BITS) | int(execution_hash(execution_id), 16)
    return [int(bit) for bit in format(value, f"0{PAYLOAD_BITS}b")]


class WatermarkReport(DeferredModel):
    """What the pixels say: whether this service's tag is there, and the run reference."""

    found: bool
    # `text2image:<execution hash>` when found.
    payload: str | None = None


def read_payload(bits: list[int]) -> WatermarkReport:
    """A decoded bit string as a report: found only when the product tag is there."""
    if len(bits) != PAYLOAD_BITS:
        return WatermarkReport(found=False)
    value = int("".join(str(int(bit)) for bit in bits), 2)
    tag, run = value >> HASH_BITS, value & ((1 << HASH_BITS) - 1)
    if bin(tag ^ PRODUCT_TAG).count("1") > TAG_TOLERANCE_BITS:
        return WatermarkReport(found=False)
    return WatermarkReport(found=True, payload=f"{PRODUCT}:{run:0{HASH_BITS // 4}x}")


# An image is read at its own size only up to this many pixels (twice the largest the
# service generates): a larger one can only carry the watermark as a resized copy of an
# original, and reading it whole would cost memory and time for nothing.
MAX_OWN_SIZE_READ_PIXELS = 2 * 1536 * 1536


def decoding_sizes(
    width: int, height: int, original_sizes: tuple[tuple[int, int], ...]
) -> list[tuple[int, int]]:
    """The sizes to read a watermark at: the image's own (unless it is very large), then
    each size the service generates with the same aspect ratio (a resized copy is read
    at its original size, where the watermark's blocks line up again)."""
    sizes = [(width, height)] if width * height <= MAX_OWN_SIZE_READ_PIXELS else []
    for original_width, original_height in original_sizes:
        same_shape = abs(original_width / original_height - width / height) < 0.02
        if same_shape and (original_width, original_height) not in sizes:
            sizes.append((original_width, original_height))
    return sizes


class ManifestFacts(DeferredModel):
    """What the C2PA manifest of one image records."""

    title: str
    model_id: str
    model_version: str
    created: datetime
    execution_hash: str
    prompt_verdict: str
    moderation_labels: list[Label] = []
    moderation_model_version: str = ""
    # Only when the operator turns RECORD_PROMPT on; never by default.
    prompt: str | None = None


def manifest_definition(facts: ManifestFacts, service_version: str) -> dict[str, Any]:
    """The C2PA manifest definition (c2pa-python's Builder JSON) for one generated image."""
    moderation: dict[str, Any] = {
        "prompt_check": facts.prompt_verdict,
        "image_check": "safe",
        "image_labels": [label.model_dump(exclude_none=True) for label in facts.moderation_labels],
        "image_moderation_model_version": facts.moderation_model_version,
    }
    if facts.prompt is not None:
        moderation["prompt"] = facts.prompt
    when = facts.created.isoformat()
    return {
        "claim_generator_info": [{"name": PRODUCT, "version": service_version}],
        "title": facts.title,
        "assertions": [
            {
                "label": "c2pa.actions.v2",
                "data": {
                    "actions": [
                        {
                            "action": "c2pa.created",
                            "digitalSourceType": TRAINED_ALGORITHMIC_MEDIA,
                            "softwareAgent": {"name": facts.model_id, "version": facts.model_version},
                            "when": when,
                        }
                    ]
                },
            },
            {
                "label": GENERATOR_ASSERTION,
                "data": {
                    "model_id": facts.model_id,
                    "model_version": facts.model_version,
                    "created": when,
                    "watermark_payload": f"{PRODUCT}:{facts.execution_hash}",
                },
            },
            {"label": MODERATION_ASSERTION, "data": moderation},
        ],
    }


class ContentCredentials(DeferredModel):
    """What the C2PA manifest says, if there is one."""

    present: bool
    # The signature and every hash check out (whoever signed).
    valid: bool = False
    # The signing certificate chains to a trust anchor the verifier was given.
    trusted: bool = False
    issuer: str | None = None
    generator: str | None = None
    digital_source_type: str | None = None
    created: str | None = None
    validation_errors: list[str] = []
    explanation: str = ""


NO_MANIFEST = (
    "No Content Credentials: the image carries no C2PA manifest, or it was removed, as re-encoding, "
    "resizing or a screenshot does."
)


def read_content_credentials(manifest_store: dict[str, Any] | None) -> ContentCredentials:
    """The report of a C2PA manifest store (c2pa-python's `Reader.json()`), or of none."""
    if not manifest_store:
        return ContentCredentials(present=False, explanation=NO_MANIFEST)
    active = manifest_store.get("manifests", {}).get(manifest_store.get("active_manifest", ""), {})
    state = manifest_store.get("validation_state", "")
    failures = _failure_codes(manifest_store)
    errors = [code for code in failures if code != "signingCredential.untrusted"]
    created_action = _created_action(active)
    agent = created_action.get("softwareAgent") or {}
    generator = (
        f"{agent.get('name')} {agent.get('version', '')}".strip() if isinstance(agent, dict) else str(agent)
    )
    valid = state in ("Valid", "Trusted") and not errors
    explanation = (
        "The manifest is intact and its signature verifies."
        if valid
        else "The manifest does not match the image: the pixels or the manifest changed after signing."
    )
    return ContentCredentials(
        present=True,
        valid=valid,
        trusted=state == "Trusted",
        issuer=(active.get("signature_info") or {}).get("issuer"),
        generator=generator or None,
        digital_source_type=created_action.get("digitalSourceType"),
        created=created_action.get("when"),
        validation_errors=failures,
        explanation=explanation,
    )


def _failure_codes(manifest_store: dict[str, Any]) -> list[str]:
    results = manifest_store.get("validation_results") or {}
    active = results.get("activeManifest") or {}
    codes = [item.get("code", "") for item in active.get("failure", [])]
    if not results:
        codes = [item.get("code", "") for item in manifest_store.get("validation_status", [])]
    return sorted({code for code in codes if code})


def _created_action(manifest: dict[str, Any]) -> dict[str, Any]:
    for assertion in manifest.get("assertions", []):
        if assertion.get("label", "").startswith("c2pa.actions"):
            for action in assertion.get("data", {}).get("actions", []):
                if action.get("action") == "c2pa.created":
                    return action
    return {}


class VerifyResponse(DeferredModel):
    """The answer of `POST /verify`."""

    content_credentials: ContentCredentials
    watermark: WatermarkReport
    media_type: str = Field(description="The image type the bytes were read as.")
