"""RunJob: runs one job's execution of the job state machine, once, and records its answer.

Invoked asynchronously by JobsApi, so at least once. It claims the job first
(QUEUED -> RUNNING, a conditional write): a second delivery finds the job
claimed and starts nothing, so a job never generates twice. The run itself is
`StartSyncExecution` on the Express job machine (at most once, up to its 300 s),
named `job-<id>` so the workflow's functions write the job's stage; its end maps
to the same HTTP status and body as the sync route (`contract.http_response`).
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
from text2image.domain.jobs import JOB_TIMEOUT_SECONDS, execution_name
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


def run_job(job_id: str) -> bool:
    """Run the job if this call claims it; False if another delivery already did."""
    if not jobs.claim(job_id, time.time()):
        logger.info("job already claimed: not run again", extra={"job_id": job_id})
        return False
    item = jobs.get(job_id) or {}
    try:
        ended = run_to_end(execution_name(job_id), item["request"])
    except (ClientError, BotoCoreError, KeyError):
        logger.exception("job run could not be started", extra={"job_id": job_id})
        ended = {"status": "FAILED", "error": "JobNotStarted"}
    output = json.loads(ended["output"]) if ended.get("output") else None
    http_status, body = http_response(
        ended["status"], output, ended.get("error"), ended.get("cause"), ended.get("executionArn")
    )
    jobs.finish(job_id, http_status, body, time.time())
    jobs.leave_queue(job_id)
    logger.info("job finished", extra={"job_id": job_id, "http_status": http_status})
    return True


@observed_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    job_id = str(event.get("job_id", ""))
    return {"job_id": job_id, "ran": run_job(job_id)}
