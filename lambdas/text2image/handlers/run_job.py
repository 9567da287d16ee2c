"""RunJob: runs a job's executions of the job state machine, each once, and records its answer.

Invoked asynchronously by JobsApi, so at least once. It claims the job first
(QUEUED -> RUNNING, a conditional write): a second delivery finds the job
claimed and starts nothing, so a job never generates twice. Each run is
`StartSyncExecution` on the Express job machine (at most once, up to its 300 s),
named `job-<id>` (then `job-<id>-2`, ...) so the workflow's functions write the
job's stage. A run whose turn cannot come in time ends `HANDED_OVER` before any
slot is taken; the next run, claimed on the job item (`runs` n-1 -> n), keeps
the job's place in the queue. The first run that ends otherwise is the answer,
mapped to the same HTTP status and body as the sync route (`contract.http_response`).
All the runs happen in this one invocation, one after another: the function's
timeout covers JOB_RUNS runs (catalogue), and no second function or grant is needed.
"""

from __future__ import annotations

import json
import time
from typing import Any

import boto3
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from text2image.adapters.errors import SERVICE_CLIENT_CONFIG
from text2image.adapters.jobs import JobTable
from text2image.config import JobsConfig
from text2image.contract import http_response
from text2image.domain.jobs import HAND_OVER_STATUS, JOB_RUNS, JOB_TIMEOUT_SECONDS, execution_name
from text2image.observability import logger, observed_handler

ENDED = {"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"}
POLL_SECONDS = 0.5

config = JobsConfig.from_env()
jobs = JobTable(boto3.client("dynamodb", config=SERVICE_CLIENT_CONFIG), config.jobs_table)
# One attempt: a retried StartSyncExecution would be a second run. It waits as long as the run may take.
sfn = boto3.client(
    "stepfunctions",
    config=Config(
        retries={"total_max_attempts": 1}, connect_timeout=3, read_timeout=JOB_TIMEOUT_SECONDS + 15
    ),
)


def run_to_end(name: str, execution_input: str) -> dict[str, Any]:
    """The ended execution: status, output, error, cause, executionArn."""
    if config.execution_runner == "sync":
        return sfn.start_sync_execution(
            stateMachineArn=config.job_state_machine_arn, name=name, input=execution_input
        )
    # moto has no StartSyncExecution: start, then describe until it ends (an Express
    # execution cannot be described on AWS, which is why "sync" is the default).
    arn = sfn.start_execution(stateMachineArn=config.job_state_machine_arn, name=name, input=execution_input)[
        "executionArn"
    ]
    deadline = time.monotonic() + JOB_TIMEOUT_SECONDS + 15
    while time.monotonic() < deadline:
        described = sfn.describe_execution(executionArn=arn)
        if described["status"] in ENDED:
            return described
        time.sleep(POLL_SECONDS)
    return {"status": "TIMED_OUT", "executionArn": arn}


def run_once(job_id: str, run: int, request: str) -> dict[str, Any]:
    """The job's `run`-th execution, to its end; a run that could not be started is a failure."""
    try:
        return run_to_end(execution_name(job_id, run), request)
    except (ClientError, BotoCoreError):
        logger.exception("job run could not be started", extra={"job_id": job_id, "run": run})
        return {"status": "FAILED", "error": "JobNotStarted"}


def output_of(ended: dict[str, Any]) -> dict[str, Any] | None:
    return json.loads(ended["output"]) if ended.get("output") else None


def handed_over(ended: dict[str, Any]) -> bool:
    """The run ended waiting, before any slot was taken: the job's next run goes on."""
    return ended["status"] == "SUCCEEDED" and (output_of(ended) or {}).get("status") == HAND_OVER_STATUS


def run_job(job_id: str) -> bool:
    """Run the job if this call claims it; False if another delivery already did."""
    if not jobs.claim(job_id, time.time()):
        logger.info("job already claimed: not run again", extra={"job_id": job_id})
        return False
    item = jobs.get(job_id) or {}
    if "request" not in item:
        ended: dict[str, Any] = {"status": "FAILED", "error": "JobNotStarted"}
    else:
        ended = run_once(job_id, 1, item["request"])
    run = 1
    while handed_over(ended) and run < JOB_RUNS:
        run += 1
        if not jobs.claim_run(job_id, run):
            # Someone else started this run (never while this call holds the job's claim).
            logger.warning("job run already claimed: not run again", extra={"job_id": job_id, "run": run})
            return True
        logger.info("job handed over to its next run", extra={"job_id": job_id, "run": run})
        ended = run_once(job_id, run, item["request"])
    # A hand-over with no run left is not an answer: http_response maps it to 502, a defect.
    http_status, body = http_response(
        ended["status"], output_of(ended), ended.get("error"), ended.get("cause"), ended.get("executionArn")
    )
    jobs.finish(job_id, http_status, body, time.time())
    jobs.leave_queue(job_id)
    logger.info("job finished", extra={"job_id": job_id, "http_status": http_status, "runs": run})
    return True


@observed_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    job_id = str(event.get("job_id", ""))
    return {"job_id": job_id, "ran": run_job(job_id)}
