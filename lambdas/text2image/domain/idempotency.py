"""Idempotency-Key: the rules both routes share, and the claim rules of `POST /generate`.

`POST /jobs` turns a key into the job's id, so the job item is the key's claim.
`POST /generate` claims the key in its run's first task: one conditional put of a
record {request digest, IN_PROGRESS, the claiming execution, a lease, a 24 h TTL}.
The run that wins the put generates; at its end the record keeps the answer (200,
422) or is deleted (every other end: nothing was delivered, a retry may generate).
A repeat reads the record: the answer, a 409 for another body, or a wait for the
first run while its own budget lasts. Pure Python: the put is in `adapters/idempotency.py`.
"""

from __future__ import annotations

import hashlib
import json
import math
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal

IDEMPOTENCY_HEADER = "Idempotency-Key"
MAX_IDEMPOTENCY_KEY_CHARS = 255
# How long a key (and a job) is remembered: the items' TTL.
IDEMPOTENCY_WINDOW_SECONDS = 24 * 3600
# Where the key travels in a sync run's execution input, beside the body's fields
# (the request model forbids a body field of this name).
IDEMPOTENCY_KEY_FIELD = "idempotency_key"
# After the claiming run's budget, the time it may still need to end: past that,
# a claim never settled (the run timed out) is free again.
LEASE_MARGIN_SECONDS = 5
KEY_REUSED_ERROR = "IdempotencyKeyReused"
KEY_REUSED_MESSAGE = (
    f"This {IDEMPOTENCY_HEADER} was used with a different body. Use a new key for a new request."
)
IN_PROGRESS_ERROR = "RequestInProgress"
IN_PROGRESS_MESSAGE = (
    f"The first request with this {IDEMPOTENCY_HEADER} is still running. "
    "Try again after the time in Retry-After to get its answer."
)
# Keys are scoped by route and caller, so one key on /generate and /jobs are two keys.
GENERATE_ROUTE = "generate"
_KEY_NAMESPACE = uuid.UUID("6f1c9a52-3e0b-4b8e-9c55-1d2f0c7a8e41")


def key_problem(key: str) -> str | None:
    """Why a header value cannot be a key, or None."""
    if not 1 <= len(key) <= MAX_IDEMPOTENCY_KEY_CHARS:
        return f"the {IDEMPOTENCY_HEADER} header must be 1 to {MAX_IDEMPOTENCY_KEY_CHARS} characters"
    return None


def scoped_key_id(key: str, route: str, caller: str | None = None) -> str:
    """The same key on the same route from the same caller is always the same id. Keys
    are the caller's own: another caller's key of the same text is another key, so
    nobody can replay, block or look up someone else's request by guessing its key."""
    name = f"{route}:{key}" if caller is None else json.dumps([route, caller, key])
    return str(uuid.uuid5(_KEY_NAMESPACE, name))


def request_digest(body: Mapping[str, Any]) -> str:
    """The same body in any key order has the same digest: what a repeat must match."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


class KeyStatus(StrEnum):
    IN_PROGRESS = "IN_PROGRESS"  # claimed by a run that has not answered yet
    ANSWERED = "ANSWERED"  # the run's final answer is kept


@dataclass(frozen=True)
class KeyRecord:
    """The claim of one key on `POST /generate`, as stored."""

    key_id: str
    digest: str
    status: KeyStatus
    execution_id: str
    lease_expires_at: float
    expires_at: int
    answer: dict[str, Any] | None = None


def new_claim(key_id: str, digest: str, execution_id: str, started: float, budget: float) -> KeyRecord:
    """The record a run puts to claim a key: leased until its run must have ended."""
    return KeyRecord(
        key_id=key_id,
        digest=digest,
        status=KeyStatus.IN_PROGRESS,
        execution_id=execution_id,
        lease_expires_at=started + budget + LEASE_MARGIN_SECONDS,
        expires_at=int(started) + IDEMPOTENCY_WINDOW_SECONDS,
    )


def is_free(record: KeyRecord | None, execution_id: str, now: float) -> bool:
    """Whether a run may (re)claim the key: nobody holds it, it is its own claim (a
    replayed task), the record outlived its 24 h (TTL deletion lags), or the claiming
    run ended without settling (its lease passed). The adapter's put condition says the same."""
    return (
        record is None
        or record.execution_id == execution_id
        or record.expires_at < now
        or (record.status == KeyStatus.IN_PROGRESS and record.lease_expires_at < now)
    )


ClaimDecision = Literal["new", "answered", "wait", "in_progress", "reused"]


@dataclass(frozen=True)
class Claim:
    """`new`: this run generates; `answered`: return `answer`; `wait`: ask again after
    `wait_seconds`; `in_progress`: 409, come back after `retry_after`; `reused`: 409."""

    decision: ClaimDecision
    answer: dict[str, Any] | None = None
    wait_seconds: int = 0
    retry_after: int = 0


def decide_repeat(
    record: KeyRecord, digest: str, now: float, started: float, wait_limit: float, poll_seconds: int
) -> Claim:
    """What a run answers when another run's claim holds the key."""
    if record.digest != digest:
        return Claim("reused")
    if record.status == KeyStatus.ANSWERED:
        return Claim("answered", answer=record.answer)
    if now + poll_seconds <= started + wait_limit:
        return Claim("wait", wait_seconds=poll_seconds)
    return Claim("in_progress", retry_after=max(1, math.ceil(record.lease_expires_at - now)))


def is_final_answer(answer: Mapping[str, Any]) -> bool:
    """An approval or a rejection is kept on the key; anything else (busy, failed) frees it."""
    return answer.get("status") in {"APPROVED", "REJECTED"}


def replayed_answer(
    answer: Mapping[str, Any], presign: Callable[[str], str], expires_in: int
) -> dict[str, Any]:
    """The first answer again; an approved image gets a fresh presigned URL of its key,
    since the first one may have expired (URLs live at most 12 h, keys 24 h)."""
    if answer.get("status") != "APPROVED":
        return dict(answer)
    return {**answer, "image_url": presign(answer["image_key"]), "expires_in": expires_in}
