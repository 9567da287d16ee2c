"""DiscardStagedImage: no staged image outlives its execution.

After a rejection the image is deleted, or moved to the quarantine prefix by
configuration. After a failure it is always deleted, together with any copy a
failed StoreImage left under the published prefix: a failed run publishes
nothing. Deleting a missing key succeeds, so this is safe to run on any path.
"""

from __future__ import annotations

from typing import Any

import boto3
from aws_lambda_powertools.utilities.typing import LambdaContext

from text2image.adapters.errors import SERVICE_CLIENT_CONFIG
from text2image.adapters.s3 import ImageBucket
from text2image.config import DiscardConfig
from text2image.domain.storage import published_key, quarantine_key, staging_key
from text2image.errors import StagedImageMissing
from text2image.handlers.common import parse_step
from text2image.models import DiscardInput, DiscardResult
from text2image.observability import logger, observed_handler

config = DiscardConfig.from_env()
bucket = ImageBucket(boto3.client("s3", config=SERVICE_CLIENT_CONFIG), config.bucket)


@observed_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    step = parse_step(DiscardInput, event)
    staged = staging_key(config.staging_prefix, step.execution_id)

    if step.outcome == "rejected" and config.rejected_image_action == "quarantine":
        kept = quarantine_key(config.quarantine_prefix, step.execution_id)
        try:
            bucket.copy(staged, kept)
        except StagedImageMissing:
            logger.warning("nothing staged to quarantine", extra={"key": staged})
        bucket.delete(staged)
        logger.info("rejected image quarantined", extra={"key": kept})
        return DiscardResult(disposition="quarantined", staged_key=staged, quarantine_key=kept).model_dump()

    bucket.delete(staged)
    if step.outcome == "failed":
        for image_format in ("png", "jpeg"):
            bucket.delete(published_key(config.published_prefix, step.execution_id, image_format))
    logger.info("staged image deleted", extra={"key": staged, "outcome": step.outcome})
    return DiscardResult(disposition="deleted", staged_key=staged).model_dump()
