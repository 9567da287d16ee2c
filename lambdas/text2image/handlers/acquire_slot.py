"""AcquireGenerationSlot: a place in the endpoint's queue on arrival, then a slot on it, or a refusal.

`reserve` (the run's first state) joins the queue at once, so a burst is sorted
in arrival order and the runs whose turn cannot come in time are refused before
any other work; `acquire` (just before GenerateImage) takes the slot or waits.

Replays are safe: a holder that already holds a live lease keeps it, a waiter
keeps its place in the queue.
"""

from __future__ import annotations

import time
from typing import Any

import boto3
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from text2image.adapters.dynamodb import SlotTable
from text2image.adapters.errors import SERVICE_CLIENT_CONFIG
from text2image.config import AdmissionConfig
from text2image.domain.admission import Admission, Decision, SlotPool, decide, slot_free_times
from text2image.domain.jobs import JobStage, job_of_execution
from text2image.handlers.common import parse_step
from text2image.job_progress import JobProgress
from text2image.models import AcquireSlotInput, SlotAdmission
from text2image.observability import (
    BUSY_REFUSALS_METRIC,
    QUEUE_DEPTH_METRIC,
    SLOT_WAIT_METRIC,
    logger,
    metrics,
    observed_handler,
)

config = AdmissionConfig.from_env()
slots = SlotTable(boto3.client("dynamodb", config=SERVICE_CLIENT_CONFIG), config.table, config.pool)
progress = JobProgress(config.jobs_table)


def run_budget_seconds(execution_name: str | None) -> int:
    """A job waits for its turn inside the job machine's timeout; a sync run inside 28 s."""
    return config.job_run_budget_seconds if job_of_execution(execution_name) else config.run_budget_seconds


def reserve(holder: str, started: float, now: float, budget: int) -> Admission:
    """Take a place in the queue on arrival, or refuse at once if its turn cannot come in time."""
    slots.read()  # makes the pool's item if it is missing
    slots.wait(holder, now)
    return _decide(holder, started, now, budget, admitted="queued")


def acquire(holder: str, started: float, now: float, budget: int) -> Admission:
    """Take a slot now, or keep waiting while the turn still comes in time."""
    pool = slots.read()
    if pool.holds(holder, now):  # a replay: counted when it was taken
        return Admission("acquired")
    if _take(holder, now):
        return _acquired(pool, holder, now)
    # Full: free the leases of runs that died (every one, not only the first), then try once more.
    reclaimed = [slots.reclaim(dead, expiry) for dead, expiry in pool.expired(now).items()]
    if any(reclaimed) and _take(holder, now):
        return _acquired(pool, holder, now)
    slots.wait(holder, now)
    return _decide(holder, started, now, budget, admitted="wait")


def _decide(holder: str, started: float, now: float, budget: int, admitted: Decision) -> Admission:
    pool = slots.read()
    stale_before = _stale_before(now)
    for stale, since in pool.stale_waiters(stale_before).items():
        slots.forget_waiter(stale, since)  # so the item does not grow with runs that never left
    latency = pool.latency_seconds or config.expected_generation_seconds
    since = pool.waiters.get(holder, now)
    admission = decide(
        position=pool.queue_ahead(holder, since, stale_before=stale_before) + 1,
        free_times=slot_free_times(pool.leases, config.capacity, config.lease_seconds, latency, now),
        latency_seconds=latency,
        now=now,
        run_deadline=started + budget,
        after_generation_seconds=config.after_generation_seconds,
        admitted=admitted,
    )
    _count_queue(pool.queue_depth(stale_before))
    if admission.decision == "busy":
        slots.leave(holder)
        metrics.add_metric(name=BUSY_REFUSALS_METRIC, unit=MetricUnit.Count, value=1)
    return admission


def _acquired(pool: SlotPool, holder: str, now: float) -> Admission:
    """Taken: how long the run waited since it took its place, and how many still wait."""
    since = pool.waiters.get(holder, now)
    metrics.add_metric(name=SLOT_WAIT_METRIC, unit=MetricUnit.Seconds, value=max(0.0, now - since))
    _count_queue(pool.queue_depth(_stale_before(now), without=holder))
    return Admission("acquired")


def _stale_before(now: float) -> float:
    """A waiter older than the longest budget (a job's) must have ended without leaving."""
    return now - max(config.run_budget_seconds, config.job_run_budget_seconds)


def _count_queue(depth: int) -> None:
    metrics.add_metric(name=QUEUE_DEPTH_METRIC, unit=MetricUnit.Count, value=depth)


def _take(holder: str, now: float) -> bool:
    return slots.try_acquire(holder, config.capacity, now + config.lease_seconds)


@observed_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    step = parse_step(AcquireSlotInput, event)
    admit = reserve if step.mode == "reserve" else acquire
    budget = run_budget_seconds(step.execution_name)
    admission = admit(step.execution_id, step.execution_started.timestamp(), time.time(), budget)
    if admission.decision == "acquired":
        progress.report(step.execution_name, JobStage.GENERATING)
    elif admission.decision != "busy":
        progress.report(step.execution_name, JobStage.QUEUED, admission.position)
    logger.info(
        "admission",
        extra={"decision": admission.decision, "position": admission.position, "capacity": config.capacity},
    )
    return SlotAdmission(
        decision=admission.decision,
        position=admission.position,
        expected_wait_seconds=round(admission.expected_wait_seconds, 1),
        wait_seconds=config.poll_seconds if admission.decision == "wait" else 0,
        retry_after=admission.retry_after,
    ).model_dump(mode="json")
