"""The jobs table: one item per job, plus one item that bounds the queue.

Every change of a job is a conditional write, so an at-least-once delivery
cannot undo or repeat it: the job is created once (`attribute_not_exists`),
claimed once (QUEUED -> RUNNING: only the claimer starts its first run), each
later run is claimed once (`runs` n-1 -> n), finished once (RUNNING -> DONE),
and its queue position is only ever lowered.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from text2image.domain.jobs import JOB_RETENTION_SECONDS, JobStage, JobStatus

_CONDITION_FAILED = "ConditionalCheckFailedException"
# The item that holds the jobs in flight (job id -> when accepted); not a job id.
QUEUE_ITEM = "#queue"

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def _condition_failed(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") == _CONDITION_FAILED


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


class JobTable:
    def __init__(self, client: Any, table: str) -> None:
        self._client = client
        self._table = table

    def _update(self, job_id: str, **arguments: Any) -> bool:
        """One UpdateItem; False when its condition does not hold."""
        try:
            self._client.update_item(TableName=self._table, Key={"job_id": {"S": job_id}}, **arguments)
        except ClientError as error:
            if _condition_failed(error):
                return False
            raise
        return True

    def get(self, job_id: str) -> dict[str, Any] | None:
        item = self._client.get_item(
            TableName=self._table, Key={"job_id": {"S": job_id}}, ConsistentRead=True
        )
        if "Item" not in item:
            return None
        return _plain({key: _deserializer.deserialize(value) for key, value in item["Item"].items()})

    def create(self, job_id: str, request: dict[str, Any], digest: str, now: float) -> bool:
        """Write a new job; False if one with this id exists (a repeated key)."""
        item = {
            "job_id": job_id,
            "status": JobStatus.QUEUED.value,
            "stage": JobStage.QUEUED.value,
            "request": json.dumps(request),
            "digest": digest,
            "accepted_at": Decimal(str(round(now, 3))),
            "expires_at": int(now) + JOB_RETENTION_SECONDS,
        }
        try:
            self._client.put_item(
                TableName=self._table,
                Item={key: _serializer.serialize(value) for key, value in item.items()},
                ConditionExpression="attribute_not_exists(job_id)",
            )
        except ClientError as error:
            if _condition_failed(error):
                return False
            raise
        return True

    def claim(self, job_id: str, now: float) -> bool:
        """QUEUED -> RUNNING, once: only the caller that wins starts the job's first run."""
        return self._claim(
            job_id,
            update="SET #status = :running, claimed_at = :now, runs = :run",
            condition="#status = :queued",
            values={":queued": {"S": JobStatus.QUEUED.value}, ":now": {"N": str(round(now, 3))}},
            run=1,
        )

    def claim_run(self, job_id: str, run: int) -> bool:
        """The job's `run`-th run (run >= 2), once: only while the job is running and
        its previous run was the last one started."""
        return self._claim(
            job_id,
            update="SET runs = :run",
            condition="#status = :running AND runs = :previous",
            values={":previous": {"N": str(run - 1)}},
            run=run,
        )

    def _claim(self, job_id: str, update: str, condition: str, values: dict[str, Any], run: int) -> bool:
        """Start the job's `run`-th run if `condition` holds: the conditional write is the claim."""
        return self._update(
            job_id,
            UpdateExpression=update,
            ConditionExpression=condition,
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues={
                ":running": {"S": JobStatus.RUNNING.value},
                ":run": {"N": str(run)},
                **values,
            },
        )

    def record_stage(self, job_id: str, stage: JobStage, position: int | None = None) -> bool:
        """The running job's stage; a queue position is written only if it is lower
        than the last one, so what a poller sees only goes down."""
        names = {"#status": "status", "#stage": "stage"}
        values: dict[str, Any] = {":running": {"S": JobStatus.RUNNING.value}, ":stage": {"S": stage.value}}
        update = "SET #stage = :stage"
        condition = "#status = :running"
        if position is not None:
            update += ", #position = :position"
            condition += " AND (attribute_not_exists(#position) OR #position >= :position)"
            names["#position"] = "position"
            values[":position"] = {"N": str(position)}
        return self._update(
            job_id,
            UpdateExpression=update,
            ConditionExpression=condition,
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )

    def finish(self, job_id: str, http_status: int, body: dict[str, Any], now: float) -> bool:
        """RUNNING -> DONE with the answer, once."""
        return self._update(
            job_id,
            UpdateExpression=(
                "SET #status = :done, #stage = :done_stage, http_status = :http, "
                "#result = :result, finished_at = :now"
            ),
            ConditionExpression="#status = :running",
            ExpressionAttributeNames={"#status": "status", "#stage": "stage", "#result": "result"},
            ExpressionAttributeValues={
                ":done": {"S": JobStatus.DONE.value},
                ":done_stage": {"S": JobStage.DONE.value},
                ":running": {"S": JobStatus.RUNNING.value},
                ":http": {"N": str(http_status)},
                ":result": {"S": json.dumps(body)},
                ":now": {"N": str(round(now, 3))},
            },
        )

    # --- the bounded queue ------------------------------------------------------

    def in_flight(self) -> dict[str, float]:
        item = self.get(QUEUE_ITEM) or {}
        return {job: float(since) for job, since in item.get("jobs", {}).items()}

    def enter_queue(self, job_id: str, depth: int, now: float, stale_before: float) -> bool:
        """Count the job in flight if fewer than `depth` are; forget runs that must have ended."""
        self._update(
            QUEUE_ITEM,
            UpdateExpression="SET jobs = if_not_exists(jobs, :empty)",
            ExpressionAttributeValues={":empty": {"M": {}}},
        )
        for stale, since in self.in_flight().items():
            if since <= stale_before:
                self.leave_queue(stale)
        return self._update(
            QUEUE_ITEM,
            UpdateExpression="SET jobs.#job = :now",
            ConditionExpression="size(jobs) < :depth OR attribute_exists(jobs.#job)",
            ExpressionAttributeNames={"#job": job_id},
            ExpressionAttributeValues={":now": {"N": str(round(now, 3))}, ":depth": {"N": str(depth)}},
        )

    def leave_queue(self, job_id: str) -> None:
        self._update(
            QUEUE_ITEM,
            UpdateExpression="REMOVE jobs.#job",
            ExpressionAttributeNames={"#job": job_id},
        )
