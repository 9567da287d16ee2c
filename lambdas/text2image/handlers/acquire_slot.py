"""AcquireGenerationSlot: a place in the endpoint's queue on arrival, then a slot on it, or a refusal.

`reserve` (the run's first state) joins the queue at once, so a burst is sorted
in arrival order and the runs whose turn cannot come in time are refused before
any other work; `acquire` (just before GenerateImage) takes the slot or waits
while a generation can still fit in the run. A job's run that can no longer fit
one hands over to the job's next run (`requeue`), which keeps its place: all the
runs of a job are one holder (`domain.admission.slot_holder`).

Replays are safe: a holder that already holds a live lease keeps it, a waiter
keeps its place in the queue.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import boto3
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from text2image.adapters.dynamodb import SlotTable
from text2image.adapters.errors import SERVICE_CLIENT_CONFIG
from text2image.config import AdmissionConfig
from text2image.domain.admission import (
    Admission,
    SlotPool,
    Turn,
    WaiterLives,
    decide_on_arrival,
    decide_while_waiting,
    slot_free_times,
    slot_holder,
)
from text2image.domain.jobs import JOB_RUNS, JobStage, job_run_of_execution
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
lives = WaiterLives(
    run_seconds=config.run_budget_seconds, job_seconds=JOB_RUNS * config.job_run_budget_seconds
)


@dataclass(frozen=True)
class Run:
    """One execution as the admission sees it: who holds for it and its deadlines."""

    holder: str
    started: float
    budget: int  # this execution's
    run: int = 1  # a job's n-th execution (a sync run has one)
    is_job: bool = False

    @classmethod
    def of(cls, step: AcquireSlotInput) -> Run:
        started = step.execution_started.timestamp()
        holder = slot_holder(step.execution_id, step.execution_name)
        job_run = job_run_of_execution(step.execution_name)
        if job_run is None:
            return cls(holder, started, config.run_budget_seconds)
        return cls(holder, started, config.job_run_budget_seconds, run=job_run[1], is_job=True)

    @property
    def deadline(self) -> float:
        """When this execution must have finished."""
        return self.started + self.budget

    @property
    def runs_left(self) -> int:
        """The job's runs after this one (none for a sync run)."""
        return max(0, JOB_RUNS - self.run) if self.is_job else 0


def reserve(run: Run, now: float) -> Admission:
    """Take a place in the queue on arrival, or refuse at once if its turn cannot come in time.
    A job's later run keeps the place its first one was given."""
    turn = _turn(run.holder, now, slots.wait(run.holder, now))
    deadline = turn.life_deadline(run.deadline, run.budget, run.runs_left)
    admission = decide_on_arrival(turn, deadline, already_admitted=run.run > 1)
    return _refused_leaves(run.holder, admission)


def acquire(run: Run, now: float) -> Admission:
    """Take a slot now, or keep waiting while a generation still fits in this run, then
    hand over (a job with a run left) or refuse."""
    pool = slots.read()
    if pool.holds(run.holder, now):  # a replay: counted when it was taken
        return Admission("acquired")
    if _take(run.holder, now):
        return _acquired(pool, run.holder, now)
    # Full: free the leases of runs that died (every one, not only the first), then try once more.
    reclaimed = [slots.reclaim(dead, expiry) for dead, expiry in pool.expired(now).items()]
    if any(reclaimed) and _take(run.holder, now):
        return _acquired(pool, run.holder, now)
    turn = _turn(run.holder, now, slots.wait(run.holder, now))
    admission = decide_while_waiting(turn, run.deadline, can_hand_over=run.runs_left > 0)
    return _refused_leaves(run.holder, admission)


def _turn(holder: str, now: float, pool: SlotPool) -> Turn:
    """The holder's place and expected turn in `pool` (as it was when the holder joined the
    queue), forgetting waiters whose runs ended without leaving."""
    for stale, since in pool.stale_waiters(lives, now).items():
        slots.forget_waiter(stale, since)  # so the item does not grow with runs that never left
    latency = pool.latency_seconds or config.expected_generation_seconds
    since = pool.waiters.get(holder, now)
    _count_queue(pool.queue_depth(lives, now))
    return Turn(
        position=pool.queue_ahead(holder, since, lives, now) + 1,
        free_times=slot_free_times(
            pool.leases, pool.capacity(config.capacity), config.lease_seconds, latency, now
        ),
        latency_seconds=latency,
        after_generation_seconds=config.after_generation_seconds,
        poll_seconds=config.poll_seconds,
        now=now,
    )


def _refused_leaves(holder: str, admission: Admission) -> Admission:
    """A refused run leaves the queue; a job handing over keeps its place for its next run."""
    if admission.decision == "busy":
        slots.leave(holder)
        metrics.add_metric(name=BUSY_REFUSALS_METRIC, unit=MetricUnit.Count, value=1)
    return admission


def _acquired(pool: SlotPool, holder: str, now: float) -> Admission:
    """Taken: how long the run waited since it took its place, and how many still wait."""
    since = pool.waiters.get(holder, now)
    metrics.add_metric(name=SLOT_WAIT_METRIC, unit=MetricUnit.Seconds, value=max(0.0, now - since))
    _count_queue(pool.queue_depth(lives, now, without=holder))
    return Admission("acquired")


def _count_queue(depth: int) -> None:
    metrics.add_metric(name=QUEUE_DEPTH_METRIC, unit=MetricUnit.Count, value=depth)


def _take(holder: str, now: float) -> bool:
    return slots.try_acquire(holder, config.capacity, now + config.lease_seconds)


@observed_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    step = parse_step(AcquireSlotInput, event)
    admit = reserve if step.mode == "reserve" else acquire
    admission = admit(Run.of(step), time.time())
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
        wait_seconds=admission.poll_seconds if admission.decision == "wait" else 0,
        retry_after=admission.retry_after,
    ).model_dump(mode="json")
