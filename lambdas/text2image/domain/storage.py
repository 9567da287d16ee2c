"""Where images live in the bucket, and what is recorded with them.

Keys derive from the execution id, so every state (and every retry) of one
execution agrees on them without passing them around, and a clean-up after any
failure knows what to remove.
"""

from __future__ import annotations

import hashlib
import uuid

# The bucket's areas. The stack's IAM grants and lifecycle rules and the
# functions' defaults all read these.
STAGING_PREFIX = "staging/"
PUBLISHED_PREFIX = "generated_images/"
QUARANTINE_PREFIX = "quarantine/"
# Images sent to POST /verify through S3 (text2image.domain.verify_uploads).
VERIFY_UPLOAD_PREFIX = "verify-uploads/"

_KEY_NAMESPACE = uuid.UUID("5b8f6f1e-8a56-4a53-9d0c-6e3f5f2f8c11")


def image_id(execution_id: str) -> str:
    return str(uuid.uuid5(_KEY_NAMESPACE, execution_id))


def staging_key(prefix: str, execution_id: str) -> str:
    return f"{prefix}{image_id(execution_id)}"


def quarantine_key(prefix: str, execution_id: str) -> str:
    return f"{prefix}{image_id(execution_id)}"


def published_key(prefix: str, execution_id: str, image_format: str = "png") -> str:
    extension = "jpg" if image_format == "jpeg" else "png"
    return f"{prefix}{image_id(execution_id)}.{extension}"


def prompt_hash(prompt: str, negative_prompt: str = "") -> str:
    """A stable digest of what was asked, so an image can be traced to its request
    without storing the prompt text itself in object metadata."""
    digest = hashlib.sha256()
    digest.update(prompt.encode("utf-8"))
    digest.update(b"\x00")
    digest.update(negative_prompt.encode("utf-8"))
    return digest.hexdigest()


def image_metadata(
    execution_id: str, seed: int, model: str, prompt: str, negative_prompt: str
) -> dict[str, str]:
    """S3 user metadata (ASCII only, 2 KB in all)."""
    return {
        "execution-id": execution_id,
        "seed": str(seed),
        "model": model,
        "prompt-sha256": prompt_hash(prompt, negative_prompt),
    }
