"""ReserveQuota: the pause switch and the caller's daily quota, before any paid call.

`reserve` (admission): a paused service answers `paused` (a job's run `wait`s while
it has time); a caller past the day's quota answers `over_quota` with when it resets;
otherwise the run holds one of the caller's images. `refund` (at the answer): any
answer but an approved image gives the run's image back.
"""

from __future__ import annotations

import time
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

import boto3
from aws_lambda_powertools.utilities.typing import LambdaContext

from text2image.adapters.errors import SERVICE_CLIENT_CONFIG
from text2image.adapters.quota import PauseSwitch, QuotaTable
from text2image.config import QuotaConfig
from text2image.domain.jobs import job_run_of_execution
from text2image.domain.quota import (
    COUNTER_KEPT_SECONDS,
    Allowance,
    counter_id,
    is_charged,
    over_quota_allowance,
    paused_allowance,
    quota_day,
)
from text2image.handlers.common import parse_step
from text2image.models import QuotaInput
from text2image.observability import logger, observed_handler

config = QuotaConfig.from_env()
quotas = QuotaTable(boto3.client("dynamodb", config=SERVICE_CLIENT_CONFIG), config.table)
pause_switch = PauseSwitch(
    boto3.client("ssm", config=SERVICE_CLIENT_CONFIG), config.pause_parameter, config.pause_cache_seconds
)


def reserve(step: QuotaInput, now: datetime) -> Allowance:
    if pause_switch.is_paused():
        is_job = job_run_of_execution(step.execution_name) is not None
        budget = config.job_run_budget_seconds if is_job else config.run_budget_seconds
        started = step.execution_started or now
        seconds_left = budget - (now - started).total_seconds()
        return paused_allowance(is_job, seconds_left, config.paused_retry_after_seconds)
    if step.caller is None or config.daily_images == 0:
        return Allowance("admitted")
    counter = counter_id(step.caller, quota_day(now))
    expires_at = int(now.timestamp()) + COUNTER_KEPT_SECONDS
    held, used = quotas.reserve(counter, step.execution_id, config.daily_images, expires_at)
    if not held:
        return over_quota_allowance(now, used, config.daily_images)
    return Allowance("admitted", used=used, limit=config.daily_images)


def refund(step: QuotaInput, now: datetime) -> dict[str, Any]:
    if step.caller is None or is_charged(step.answer_status):
        return {"refunded": False}
    # A run refunds the day it reserved in: the day its execution started.
    day = quota_day(step.execution_started or now)
    return {"refunded": quotas.refund(counter_id(step.caller, day), step.execution_id)}


@observed_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    step = parse_step(QuotaInput, event)
    now = datetime.fromtimestamp(time.time(), UTC)
    if step.mode == "refund":
        result = refund(step, now)
        logger.info("quota settled", extra={"status": step.answer_status, **result})
        return result
    allowance = reserve(step, now)
    logger.info("admission allowance", extra={"decision": allowance.decision})
    return {key: value for key, value in asdict(allowance).items() if value is not None}
