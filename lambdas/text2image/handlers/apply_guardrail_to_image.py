"""ApplyGuardrailToImage: Amazon Bedrock Guardrails' opinion on the staged image
(source OUTPUT, an image content block read from S3), before it is published."""

from __future__ import annotations

from typing import Any

import boto3
from aws_lambda_powertools.utilities.typing import LambdaContext

from text2image.adapters.errors import SERVICE_CLIENT_CONFIG
from text2image.adapters.guardrail import Guardrail
from text2image.adapters.s3 import ImageBucket
from text2image.config import GuardrailConfig
from text2image.contract import Label, Stage
from text2image.domain.guardrail import check_update
from text2image.handlers.common import parse_step
from text2image.models import GuardrailImageInput
from text2image.observability import count_rejection, observed_handler

config = GuardrailConfig.from_env()
guardrail = Guardrail(
    boto3.client("bedrock-runtime", config=SERVICE_CLIENT_CONFIG),
    config.guardrail_id,
    config.guardrail_version,
)
bucket = ImageBucket(boto3.client("s3", config=SERVICE_CLIENT_CONFIG), config.bucket)


@observed_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    step = parse_step(GuardrailImageInput, event)
    image_format = "jpeg" if step.content_type == "image/jpeg" else "png"
    verdict = guardrail.image(bucket.read(step.staged_key), image_format, "OUTPUT")
    update = check_update(verdict, "image")
    if verdict.intervened:
        labels = [Label(name=f"guardrail.{name}", score=1.0) for name in update["guardrail_filters"]]
        count_rejection(Stage.IMAGE, labels, "GUARDRAIL_INTERVENED")
    return step.image_check.model_copy(update=update).model_dump(mode="json")
