"""A running job's stage, written by the workflow's own functions.

A run is a job's when its execution is named `job-<id>` or `job-<id>-<run>`
(`domain.jobs`); for a sync run nothing is written. The stage is a courtesy to the poller: a failed
write is logged and the run goes on, never failed for it.
"""

from __future__ import annotations

from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from text2image.adapters.errors import SERVICE_CLIENT_CONFIG
from text2image.adapters.jobs import JobTable
from text2image.domain.jobs import JobStage, job_run_of_execution, reports_stage
from text2image.observability import logger


class JobProgress:
    def __init__(self, table: str, client: Any = None) -> None:
        self._table = table
        self._client = client
        self._jobs: JobTable | None = None

    def report(self, execution_name: str | None, stage: JobStage, position: int | None = None) -> None:
        job_run = job_run_of_execution(execution_name)
        if job_run is None or not self._table or not reports_stage(job_run[1], stage):
            return
        job_id = job_run[0]
        if self._jobs is None:
            client = self._client or boto3.client("dynamodb", config=SERVICE_CLIENT_CONFIG)
            self._jobs = JobTable(client, self._table)
        try:
            self._jobs.record_stage(job_id, stage, position)
        except (ClientError, BotoCoreError) as error:
            logger.warning("job stage not recorded", extra={"job_id": job_id, "error": str(error)})
