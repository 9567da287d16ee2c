"""StoreImage: publish the approved image and hand out a presigned URL.

Idempotent: the published key derives from the execution id, so a retry
overwrites its own copy instead of leaving a second one.
"""

from __future__ import annotations

from typing import Any

import boto3
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from text2image.adapters.errors import SERVICE_CLIENT_CONFIG
from text2image.adapters.s3 import ImageBucket
from text2image.config import StorageConfig
from text2image.domain.jobs import JobStage
from text2image.domain.storage import image_metadata, published_key
from text2image.handlers.common import parse_step
from text2image.job_progress import JobProgress
from text2image.models import StoredImage, StoreInput
from text2image.observability import logger, metrics, observed_handler

config = StorageConfig.from_env()
progress = JobProgress(config.jobs_table)
bucket = ImageBucket(boto3.client("s3", config=SERVICE_CLIENT_CONFIG), config.bucket)


@observed_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    step = parse_step(StoreInput, event)
    progress.report(step.execution_name, JobStage.STORING)
    image_format = "jpeg" if step.content_type == "image/jpeg" else "png"
    key = published_key(config.published_prefix, step.execution_id, image_format)
    metadata = image_metadata(
        step.execution_id, step.seed, step.model, step.request.prompt, step.request.negative_prompt
    )
    bucket.copy(step.staged_key, key, step.content_type, metadata)
    bucket.delete(step.staged_key)
    metrics.add_metric(name="ImagesApproved", unit=MetricUnit.Count, value=1)
    logger.info("image published", extra={"key": key})
    url = bucket.presigned_url(key, config.url_ttl_seconds)
    return StoredImage(key=key, url=url, expires_in=config.url_ttl_seconds).model_dump(mode="json")
