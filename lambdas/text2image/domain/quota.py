"""Who may spend the GPU now: the operator's pause switch and each caller's daily quota.

A caller is who the API authenticated: a Cognito user (`user:<sub>`) or an API key
(`key:<id>`). Each run reserves one image of its caller's day at admission, before
any paid call, and gives it back at the end unless it delivered an approved image:
a refused or failed request never counts. Days are UTC days; the quota resets at
midnight UTC. Pure Python: no AWS imports.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

# The execution input's field naming the caller (absent when the API is public).
CALLER_FIELD = "caller"
# A Cognito sub or an API key id, with its prefix, is far shorter.
MAX_CALLER_CHARS = 300
# The only answer that spends the caller's quota.
CHARGED_STATUS = "APPROVED"
# A paused job's run asks again after this long, while its run has time left.
PAUSED_JOB_RECHECK_SECONDS = 15
# Kept after its day ends, then DynamoDB deletes the counter.
COUNTER_KEPT_SECONDS = 2 * 86_400

Decision = Literal["admitted", "paused", "wait", "over_quota"]


def caller_of(request_context: Mapping[str, Any]) -> str | None:
    """The caller of an API Gateway (REST) request, from its `requestContext`: the
    Cognito authorizer's `sub` claim, else the API key's id; None when neither."""
    claims = (request_context.get("authorizer") or {}).get("claims") or {}
    if claims.get("sub"):
        return f"user:{claims['sub']}"
    key_id = (request_context.get("identity") or {}).get("apiKeyId")
    return f"key:{key_id}" if key_id else None


def caller_in(execution_input: Mapping[str, Any]) -> str | None:
    """The caller an execution input names (`contract.execution_input` puts it there), or None."""
    caller = execution_input.get(CALLER_FIELD)
    return caller if isinstance(caller, str) and 0 < len(caller) <= MAX_CALLER_CHARS else None


def quota_day(now: datetime) -> str:
    """The UTC day `now` falls in, as its counter is named: `2025-01-31`."""
    return now.astimezone(UTC).date().isoformat()


def quota_resets_at(now: datetime) -> datetime:
    """The next UTC midnight: when the day's quota starts again."""
    today = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return today + timedelta(days=1)


def counter_id(caller: str, day: str) -> str:
    return f"{caller}#{day}"


@dataclass(frozen=True)
class Allowance:
    """What admission decides before any paid call."""

    decision: Decision
    retry_after: int | None = None
    resets_at: str | None = None
    used: int | None = None
    limit: int | None = None
    wait_seconds: int | None = None


def paused_allowance(is_job: bool, seconds_left: float, retry_after: int) -> Allowance:
    """While paused a sync run answers 503; a job's run waits and asks again while its
    run has time for the wait and the generation after it."""
    if is_job and seconds_left > 2 * PAUSED_JOB_RECHECK_SECONDS:
        return Allowance("wait", wait_seconds=PAUSED_JOB_RECHECK_SECONDS)
    return Allowance("paused", retry_after=retry_after)


def over_quota_allowance(now: datetime, used: int, limit: int) -> Allowance:
    resets = quota_resets_at(now)
    return Allowance(
        "over_quota",
        retry_after=max(1, math.ceil((resets - now).total_seconds())),
        resets_at=resets.isoformat().replace("+00:00", "Z"),
        used=used,
        limit=limit,
    )


def is_charged(answer_status: str | None) -> bool:
    """Whether a run's answer keeps its reserved image: only an approved image does."""
    return answer_status == CHARGED_STATUS
