"""Asynchronous jobs: their names, stages and idempotency, in plain Python.

A job runs the same ASL on a second Express state machine whose only
difference is its `TimeoutSeconds` (`job_definition`). Its first execution is
named `job-<job id>`, a later one `job-<job id>-<run>`: that is how the
functions of the workflow know a run is a job's: the admission gives it the job
budget (it waits for a slot instead of being refused, and hands over to its next
run when its turn cannot come within this one) and the stages are written to the
job's item.
"""

from __future__ import annotations

import json
import math
import re
import uuid
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from text2image.domain.idempotency import IDEMPOTENCY_WINDOW_SECONDS, scoped_key_id

# A job's request digest is the one both routes share (still importable from here).
from text2image.domain.idempotency import request_digest as request_digest
from text2image.domain.quota import caller_in

JOB_NAME_PREFIX = "job-"
# The job machine's name (the stack prefixes it with its own name).
JOB_STATE_MACHINE_SUFFIX = "text2image-jobs"
# Express allows 5 minutes; the admission's job budget is the same number.
JOB_TIMEOUT_SECONDS = 300
# A job whose turn does not come within one execution hands over to a new one that
# keeps its place in the queue, up to this many executions in all. RunJob runs them
# one after another inside one invocation, and Lambda stops a function at 900 s:
# two runs of 300 s (and the time to record the answer) fit, three would not.
JOB_RUNS = 2
# The longest a job can wait and run: all its executions.
JOB_LIFE_SECONDS = JOB_RUNS * JOB_TIMEOUT_SECONDS
# What a job's execution ends with when it hands over to the job's next one (the ASL's
# HandOverToNextRun): not an answer, RunJob starts the next run.
HAND_OVER_STATUS = "HANDED_OVER"
# How long a job (and its Idempotency-Key) is kept: the item's TTL.
JOB_RETENTION_SECONDS = IDEMPOTENCY_WINDOW_SECONDS
# A job still RUNNING this long after it was claimed has lost its runner.
JOB_LOST_AFTER_SECONDS = JOB_LIFE_SECONDS + 60
_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
_JOB_ID = re.compile(rf"^{_UUID}$")
# `job-<id>` for a job's first run, `job-<id>-<n>` (n >= 2) for its later ones.
_JOB_EXECUTION = re.compile(
    rf"^{re.escape(JOB_NAME_PREFIX)}(?P<job_id>{_UUID})(?:-(?P<run>[2-9]|[1-9][0-9]+))?$"
)


class JobStatus(StrEnum):
    QUEUED = "QUEUED"  # accepted, its run not started yet
    RUNNING = "RUNNING"  # its run was started (exactly once)
    DONE = "DONE"  # its answer is recorded


class JobStage(StrEnum):
    QUEUED = "queued"
    CHECKING_PROMPT = "checking_prompt"
    GENERATING = "generating"
    MODERATING = "moderating"
    STORING = "storing"
    DONE = "done"


def new_job_id(idempotency_key: str | None, route: str = "jobs", caller: str | None = None) -> str:
    """A fresh id, or for an Idempotency-Key always the same id for its caller: the job
    item's conditional put is then the key's claim."""
    if idempotency_key is None:
        return str(uuid.uuid4())
    return scoped_key_id(idempotency_key, route, caller)


def job_caller(item: Mapping[str, Any]) -> str | None:
    """Who submitted a stored job (None on a public API)."""
    try:
        request = json.loads(item.get("request") or "{}")
    except (TypeError, ValueError):
        return None
    return caller_in(request) if isinstance(request, dict) else None


def is_visible_to(item: Mapping[str, Any], caller: str | None) -> bool:
    """A job is its caller's: on an authenticated API another caller sees no such job."""
    return job_caller(item) == caller


def is_job_id(value: str) -> bool:
    return bool(_JOB_ID.match(value))


def execution_name(job_id: str, run: int = 1) -> str:
    """The name of a job's `run`-th execution: `job-<id>`, then `job-<id>-2`, ..."""
    return f"{JOB_NAME_PREFIX}{job_id}" if run == 1 else f"{JOB_NAME_PREFIX}{job_id}-{run}"


def job_run_of_execution(name: str | None) -> tuple[str, int] | None:
    """(job id, run number) of an execution named by `execution_name`, or None for a sync run."""
    matched = _JOB_EXECUTION.match(name or "")
    if matched is None:
        return None
    return matched["job_id"], int(matched["run"] or 1)


def job_of_execution(name: str | None) -> str | None:
    """The job id of a run named by `execution_name` (any of its runs), or None for a sync run."""
    job_run = job_run_of_execution(name)
    return job_run[0] if job_run else None


def reports_stage(run: int, stage: JobStage) -> bool:
    """A job's later run checks its prompt again (GenerateImage needs the checked texts),
    but the job is still waiting for its turn: the poller keeps seeing `queued`."""
    return not (run > 1 and stage == JobStage.CHECKING_PROMPT)


def job_definition(definition: str) -> str:
    """The ASL file for the job machine: the same states, the job's timeout."""
    parsed = json.loads(definition)
    parsed["TimeoutSeconds"] = JOB_TIMEOUT_SECONDS
    return json.dumps(parsed, indent=2)


def queue_retry_after(in_flight: int, capacity: int, latency_seconds: float) -> int:
    """When a place in a full job queue is likely free: the jobs ahead share the slots."""
    return max(1, math.ceil(in_flight * latency_seconds / max(1, capacity)))
