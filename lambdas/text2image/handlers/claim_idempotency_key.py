"""ClaimIdempotencyKey: the first task of a sync run that carries an Idempotency-Key.

One conditional put claims the key for this run (`new`: it generates). Otherwise the
key is held: by another body (`reused`, 409), by a run that answered (`answered`:
its answer again, an approved image with a fresh URL), or by a run still going
(`wait` and ask again while this run's wait lasts, then `in_progress`, 409 with
Retry-After). Its output replaces the state: the request without the key, and the decision.
"""

from __future__ import annotations

import time
from typing import Any

import boto3
from aws_lambda_powertools.utilities.typing import LambdaContext

from text2image.adapters.errors import SERVICE_CLIENT_CONFIG
from text2image.adapters.idempotency import KeyTable
from text2image.adapters.s3 import ImageBucket
from text2image.config import IdempotencyConfig
from text2image.contract import ConflictResponse
from text2image.domain.idempotency import (
    GENERATE_ROUTE,
    IDEMPOTENCY_KEY_FIELD,
    IN_PROGRESS_ERROR,
    IN_PROGRESS_MESSAGE,
    KEY_REUSED_ERROR,
    KEY_REUSED_MESSAGE,
    Claim,
    decide_repeat,
    new_claim,
    replayed_answer,
    request_digest,
    scoped_key_id,
)
from text2image.domain.quota import caller_in
from text2image.handlers.common import parse_step
from text2image.models import ClaimKeyInput, ClaimKeyOutput, KeyClaim
from text2image.observability import logger, observed_handler

config = IdempotencyConfig.from_env()
keys = KeyTable(boto3.client("dynamodb", config=SERVICE_CLIENT_CONFIG), config.table)
bucket = ImageBucket(boto3.client("s3", config=SERVICE_CLIENT_CONFIG), config.bucket)


def claim(step: ClaimKeyInput, request: dict[str, Any], now: float) -> Claim:
    key_id = scoped_key_id(step.key, GENERATE_ROUTE, caller_in(request))
    digest = request_digest(request)
    started = step.execution_started.timestamp()
    record = new_claim(key_id, digest, step.execution_id, started, config.run_budget_seconds)
    holder = keys.claim(record, now)
    if holder is None:
        return Claim("new")
    return decide_repeat(holder, digest, now, started, config.wait_seconds, config.poll_seconds)


def presign(image_key: str) -> str:
    return bucket.presigned_url(image_key, config.url_ttl_seconds)


def answer_without_generating(claimed: Claim, execution_id: str) -> dict[str, Any] | None:
    """This run's answer when the key is held by another run, or None: it generates."""
    if claimed.decision == "answered" and claimed.answer is not None:
        return replayed_answer(claimed.answer, presign, config.url_ttl_seconds)
    if claimed.decision == "reused":
        conflict = ConflictResponse(
            error=KEY_REUSED_ERROR, message=KEY_REUSED_MESSAGE, execution_id=execution_id
        )
    elif claimed.decision == "in_progress":
        conflict = ConflictResponse(
            error=IN_PROGRESS_ERROR,
            message=IN_PROGRESS_MESSAGE,
            retry_after=claimed.retry_after,
            execution_id=execution_id,
        )
    else:
        return None
    return conflict.model_dump(exclude_none=True)


@observed_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    step = parse_step(ClaimKeyInput, event)
    # The body as sent: the key is the header's, not part of what must match.
    request = {name: value for name, value in step.request.items() if name != IDEMPOTENCY_KEY_FIELD}
    claimed = claim(step, request, time.time())
    logger.info("idempotency key", extra={"decision": claimed.decision})
    return ClaimKeyOutput(
        request=request,
        idempotency=KeyClaim(
            decision=claimed.decision,
            answer=answer_without_generating(claimed, step.execution_id),
            wait_seconds=claimed.wait_seconds,
        ),
    ).model_dump(mode="json", exclude_none=True)
