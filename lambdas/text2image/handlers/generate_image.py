"""GenerateImage: invoke the SDXL endpoint and stage the checked image in S3.

Only the staged key leaves this function: image bytes never enter the state
(256 KB limit).
"""

from __future__ import annotations

import functools
import secrets
import time
from typing import Any

import boto3
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.config import Config

from text2image.adapters.s3 import ImageBucket
from text2image.adapters.sagemaker import SdxlEndpointClient
from text2image.config import GenerationConfig
from text2image.contract import MAX_SEED
from text2image.domain.deadline import endpoint_read_timeout, may_stage
from text2image.domain.generation import NotAnImage, build_payload, check_image
from text2image.domain.storage import staging_key
from text2image.errors import GenerationTimedOut, InvalidModelOutput
from text2image.handlers.common import parse_step
from text2image.models import GenerateInput, GenerationResult
from text2image.observability import logger, metrics, observed_handler

config = GenerationConfig.from_env()
# Staging must end inside the margin the endpoint call leaves: bounded connect
# and read, no SDK retry (the state machine retries StorageThrottled once).
STAGING_CONNECT_SECONDS = 0.5
STAGING_READ_SECONDS = config.staging_margin_seconds - 1
bucket = ImageBucket(
    boto3.client(
        "s3",
        config=Config(
            retries={"mode": "standard", "total_max_attempts": 1},
            connect_timeout=STAGING_CONNECT_SECONDS,
            read_timeout=STAGING_READ_SECONDS,
        ),
    ),
    config.bucket,
)


@functools.cache
def endpoint(read_timeout: int) -> SdxlEndpointClient:
    """The endpoint with this read timeout: one client per whole second, made once.
    No SDK retries: generation is expensive, and the state machine retries it at most once."""
    client = boto3.client(
        "sagemaker-runtime",
        config=Config(retries={"mode": "standard", "total_max_attempts": 1}, read_timeout=read_timeout),
    )
    return SdxlEndpointClient(client, config.endpoint_name, config.inference_component_name)


def _out_of_time() -> GenerationTimedOut:
    return GenerationTimedOut("The image could not be generated in the time this request allows")


@observed_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    step = parse_step(GenerateInput, event)
    request = step.generation_request()
    seed = request.seed if request.seed is not None else secrets.randbelow(MAX_SEED + 1)
    payload = build_payload(request, seed, config)

    read_timeout = endpoint_read_timeout(
        context.get_remaining_time_in_millis(), config.staging_margin_seconds
    )
    if read_timeout is None:
        raise _out_of_time()
    started = time.perf_counter()
    image = endpoint(read_timeout).generate(payload)
    latency_ms = round((time.perf_counter() - started) * 1000)
    metrics.add_metric(name="GenerationLatency", unit=MetricUnit.Milliseconds, value=latency_ms)

    try:
        info = check_image(image, request.width, request.height)
    except NotAnImage as error:
        raise InvalidModelOutput(f"The image model's answer is unusable: {error}") from None

    # Past this point an upload could land after the state gave up and its
    # clean-up ran: an orphaned, unmoderated image. Stage nothing instead.
    if not may_stage(context.get_remaining_time_in_millis(), STAGING_CONNECT_SECONDS + STAGING_READ_SECONDS):
        raise _out_of_time()
    key = staging_key(config.staging_prefix, step.execution_id)
    bucket.put(key, image, info.content_type)
    logger.info("image staged", extra={"key": key, "latency_ms": latency_ms, "seed": seed})
    return GenerationResult(
        staged_key=key,
        content_type=info.content_type,
        seed=seed,
        width=info.width,
        height=info.height,
        model=config.model_id,
        latency_ms=latency_ms,
    ).model_dump(mode="json")
