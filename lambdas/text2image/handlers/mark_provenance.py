"""MarkProvenance: watermark the approved image, then sign a C2PA manifest over the
watermarked pixels, and put it back under the same staged key for StoreImage.

Idempotent: the marked object says so in its metadata, and a retry finds it
marked and answers the same without marking twice. Any failure leaves the staged
image as it was, for the ASL's clean-up to discard: nothing is published unmarked.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import boto3
from aws_lambda_powertools.utilities.typing import LambdaContext

from text2image.adapters.certificates import CertificateChain
from text2image.adapters.errors import SERVICE_CLIENT_CONFIG
from text2image.adapters.kms import KmsSigner
from text2image.adapters.s3 import ImageBucket
from text2image.config import ProvenanceConfig
from text2image.domain.provenance import PRODUCT, ManifestFacts, execution_hash
from text2image.handlers.common import parse_step
from text2image.models import MarkProvenanceInput, ProvenanceMark
from text2image.observability import logger, observed_handler
from text2image.provenance import mark_image

# S3 user metadata of a marked staged image.
MARKED = "provenance"
MARKED_VALUE = "c2pa+watermark"
MARKED_AT = "provenance-created"

config = ProvenanceConfig.from_env()
bucket = ImageBucket(boto3.client("s3", config=SERVICE_CLIENT_CONFIG), config.bucket)
signer = KmsSigner(boto3.client("kms", config=SERVICE_CLIENT_CONFIG), config.signing_key_id)
# Read once per container: its client is made on that first read.
certificates = CertificateChain(
    lambda: boto3.client("ssm", config=SERVICE_CLIENT_CONFIG), config.certificate_parameter
)


@observed_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    step = parse_step(MarkProvenanceInput, event)
    payload = f"{PRODUCT}:{execution_hash(step.execution_id)}"
    image, metadata = bucket.get(step.staged_key)
    if metadata.get(MARKED) == MARKED_VALUE:
        logger.info("staged image already marked", extra={"key": step.staged_key})
        return ProvenanceMark(
            staged_key=step.staged_key,
            watermark_payload=payload,
            signed_by=signer.key_id,
            created=datetime.fromisoformat(metadata[MARKED_AT]),
        ).model_dump(mode="json")

    created = datetime.now(UTC).replace(microsecond=0)
    facts = ManifestFacts(
        title=step.staged_key.rsplit("/", 1)[-1],
        model_id=step.model,
        model_version=config.model_version,
        created=created,
        execution_hash=execution_hash(step.execution_id),
        prompt_verdict="safe" if step.prompt_check.safe else "unsafe",
        moderation_labels=step.image_check.labels,
        moderation_model_version=step.image_check.model_version,
        prompt=step.request.prompt if config.record_prompt else None,
    )
    marked, quality = mark_image(
        image, step.content_type, step.execution_id, facts, signer.sign, certificates.pem()
    )
    bucket.put(
        step.staged_key,
        marked,
        step.content_type,
        {MARKED: MARKED_VALUE, MARKED_AT: created.isoformat()},
    )
    logger.info("image marked", extra={"key": step.staged_key, "psnr_db": round(quality, 1)})
    return ProvenanceMark(
        staged_key=step.staged_key,
        watermark_payload=payload,
        signed_by=signer.key_id,
        created=created,
        psnr_db=round(quality, 2),
    ).model_dump(mode="json")
