"""Asynchronous jobs: their names, stages and idempotency, in plain Python.

A job is one run of the same ASL on a second Express state machine whose only
difference is its `TimeoutSeconds` (`job_definition`). Its execution is named
`job-<job id>`, which is how the functions of the workflow know a run is a job:
the admission gives it the job budget (it waits for a slot instead of being
refused) and the stages are written to the job's item.
"""

from __future__ import annotations

import json
import math
import re
import uuid
from enum import StrEnum

from text2image.domain.idempotency import IDEMPOTENCY_WINDOW_SECONDS, scoped_key_id

# A job's request digest is the one both routes share (still importable from here).
from text2image.domain.idempotency import request_digest as request_digest

JOB_NAME_PREFIX = "job-"
# The job machine's name (the stack prefixes it with its own name).
JOB_STATE_MACHINE_SUFFIX = "text2image-jobs"
# Express allows 5 minutes; the admission's job budget is the same number.
JOB_TIMEOUT_SECONDS = 300
# How long a job (and its Idempotency-Key) is kept: the item's TTL.
JOB_RETENTION_SECONDS = IDEMPOTENCY_WINDOW_SECONDS
# A job still RUNNING this long after it was claimed has lost its runner.
JOB_LOST_AFTER_SECONDS = JOB_TIMEOUT_SECONDS + 60
_JOB_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


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


def new_job_id(idempotency_key: str | None, route: str = "jobs") -> str:
    """A fresh id, or for an Idempotency-Key always the same id: the job item's
    conditional put is then the key's claim."""
    if idempotency_key is None:
        return str(uuid.uuid4())
    return scoped_key_id(idempotency_key, route)


def is_job_id(value: str) -> bool:
    return bool(_JOB_ID.match(value))


def execution_name(job_id: str) -> str:
    return f"{JOB_NAME_PREFIX}{job_id}"


def job_of_execution(name: str | None) -> str | None:
    """The job id of a run named by `execution_name`, or None for a sync run."""
    if name and name.startswith(JOB_NAME_PREFIX) and is_job_id(name[len(JOB_NAME_PREFIX) :]):
        return name[len(JOB_NAME_PREFIX) :]
    return None


def job_definition(definition: str) -> str:
    """The ASL file for the job machine: the same states, the job's timeout."""
    parsed = json.loads(definition)
    parsed["TimeoutSeconds"] = JOB_TIMEOUT_SECONDS
    return json.dumps(parsed, indent=2)


def queue_retry_after(in_flight: int, capacity: int, latency_seconds: float) -> int:
    """When a place in a full job queue is likely free: the jobs ahead share the slots."""
    return max(1, math.ceil(in_flight * latency_seconds / max(1, capacity)))
