"""ReleaseGenerationSlot: give the endpoint slot back, on every path after it was taken.

Idempotent: releasing a slot not held (never taken, already released, or
expired and reclaimed) succeeds.
"""

from __future__ import annotations

from typing import Any

import boto3
from aws_lambda_powertools.utilities.typing import LambdaContext

from text2image.adapters.dynamodb import SlotTable
from text2image.adapters.errors import SERVICE_CLIENT_CONFIG
from text2image.config import AdmissionConfig
from text2image.domain.admission import recent_latency, slot_holder
from text2image.handlers.common import parse_step
from text2image.models import ReleaseSlotInput, SlotReleased
from text2image.observability import logger, observed_handler

config = AdmissionConfig.from_env()
slots = SlotTable(boto3.client("dynamodb", config=SERVICE_CLIENT_CONFIG), config.table, config.pool)


@observed_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    step = parse_step(ReleaseSlotInput, event)
    latency_ms = None
    if step.latency_ms is not None:
        previous = slots.read().latency_seconds or None
        latency_ms = round(recent_latency(previous, step.latency_ms / 1000) * 1000)
    slots.release(slot_holder(step.execution_id, step.execution_name), latency_ms)
    logger.info("slot released", extra={"recent_latency_ms": latency_ms})
    return SlotReleased().model_dump()
