"""SettleIdempotencyKey: the last task of a sync run that claimed an Idempotency-Key.

A final answer (approved, or rejected at either stage) is kept on the key, so a
repeat within 24 h gets it and nothing is generated twice. Every other end (busy,
failed, invalid) releases the key: nothing was delivered, and a retry after
Retry-After may generate. Powertools' idempotency utility does the same (an
exception deletes its record). Only this run's own claim is ever changed.
"""

from __future__ import annotations

from typing import Any

import boto3
from aws_lambda_powertools.utilities.typing import LambdaContext

from text2image.adapters.errors import SERVICE_CLIENT_CONFIG
from text2image.adapters.idempotency import KeyTable
from text2image.config import IdempotencyConfig
from text2image.domain.idempotency import GENERATE_ROUTE, is_final_answer, scoped_key_id
from text2image.handlers.common import parse_step
from text2image.models import KeySettled, SettleKeyInput
from text2image.observability import logger, observed_handler

config = IdempotencyConfig.from_env()
keys = KeyTable(boto3.client("dynamodb", config=SERVICE_CLIENT_CONFIG), config.table)


@observed_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    step = parse_step(SettleKeyInput, event)
    key_id = scoped_key_id(step.key, GENERATE_ROUTE)
    if is_final_answer(step.answer):
        outcome = "remembered" if keys.remember(key_id, step.execution_id, step.answer) else "not_ours"
    else:
        outcome = "released" if keys.release(key_id, step.execution_id) else "not_ours"
    logger.info("idempotency key settled", extra={"outcome": outcome, "status": step.answer.get("status")})
    return KeySettled(outcome=outcome).model_dump()
