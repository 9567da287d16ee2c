"""What the local API needs from the local stack: starting a run and waiting for its answer, invoking a
function through the dispatcher, and the execution inspector's view of moto's history (the Step
Functions console's execution list and detail)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Protocol

from pydantic import BaseModel, computed_field

from text2image.contract import http_response
from text2image.domain.jobs import HAND_OVER_STATUS
from workflow.local.environment import RunResult
from workflow.local.history import StateRecord, duration_ms
from workflow.local.roles import deciding_state


class ExecutionSummary(BaseModel):
    id: str
    arn: str
    # The request's prompt, from the execution's input: what tells one run from another.
    prompt: str | None = None
    status: str
    # APPROVED, REJECTED, FAILED, TIMED_OUT, ABORTED or RUNNING.
    outcome: str
    # The answer's stage (a rejection's `prompt` or `image`).
    stage: str | None = None
    # The state that set the answer (`ImageApproved`, `PromptRejected`, `GenerationFailed`...),
    # or the state a run is in while it runs.
    decided_by: str | None = None
    reason_code: str | None = None
    error: str | None = None
    http_status: int | None = None
    started: datetime
    stopped: datetime | None = None

    @computed_field
    @property
    def duration_ms(self) -> float | None:
        return duration_ms(self.started, self.stopped)


class ExecutionDetail(ExecutionSummary):
    body: dict[str, Any] | None = None
    states: list[StateRecord] = []


class ApiBackend(Protocol):
    def generate(self, body: dict[str, Any], timeout: float) -> tuple[int, dict[str, Any]]: ...

    def invoke_function(self, name: str, event: dict[str, Any]) -> dict[str, Any]: ...

    def executions(self, limit: int) -> list[ExecutionSummary]: ...

    def execution(self, execution_id: str) -> ExecutionDetail | None: ...

    def local_info(self) -> dict[str, str]: ...

    def image_model(self) -> dict[str, str]: ...


def _outcome(status: str, body: Mapping[str, Any] | None) -> str:
    if status == "SUCCEEDED":
        return str((body or {}).get("status") or "FAILED")
    if status in {"FAILED", "TIMED_OUT", "ABORTED"}:
        return status
    return "RUNNING"


class LocalBackend:
    """The API's view of a running `workflow.local.environment.LocalEnvironment`. Its clients
    are shared safely between threads, so runs proceed in parallel."""

    def __init__(self, env: Any) -> None:
        self.env = env
        # Ended executions never change: describe each once.
        self._ended: dict[str, ExecutionDetail] = {}

    def generate(self, body: dict[str, Any], timeout: float) -> tuple[int, dict[str, Any]]:
        arn = self.env.start_execution(body)
        try:
            # The answer needs no state history; the inspection routes read it when asked.
            result = self.env.wait(arn, timeout=timeout, history=False)
        except TimeoutError:
            # As API Gateway does when the integration does not answer in time.
            return http_response("TIMED_OUT", execution_id=arn)
        return result.http_status, dict(result.body)

    def invoke_function(self, name: str, event: dict[str, Any]) -> dict[str, Any]:
        payload, function_error = self.env.dispatcher.invoke(name, json.dumps(event))
        answer = json.loads(payload)
        if function_error:
            # API Gateway's answer when a proxy integration's function fails.
            return {"statusCode": 502, "body": json.dumps({"message": "Internal server error"})}
        return answer

    def executions(self, limit: int) -> list[ExecutionSummary]:
        return [self._summary(item) for item in self.env.list_executions(limit)]

    def execution(self, execution_id: str) -> ExecutionDetail | None:
        try:
            return self._detail(self.env.execution_arn(execution_id))
        except self.env.sfn.exceptions.ExecutionDoesNotExist:
            return None

    def local_info(self) -> dict[str, str]:
        return {
            "moto_url": self.env.moto_url,
            "standins_url": self.env.standins_url,
            "bucket": self.env.bucket,
            "state_machine_arn": self.env.state_machine_arn,
        }

    def image_model(self) -> dict[str, str]:
        return self.env.image_model()

    def _summary(self, item: Mapping[str, Any]) -> ExecutionSummary:
        # A running run is described afresh (its prompt, its state so far); an ended one once.
        return ExecutionSummary(**self._detail(item["executionArn"]).model_dump(exclude={"body", "states"}))

    def _detail(self, arn: str) -> ExecutionDetail:
        return self._ended.get(arn) or self._record(self.env.describe(arn))

    def _record(self, result: RunResult) -> ExecutionDetail:
        running = result.status == "RUNNING"
        # A job's run that handed over to its next run gave no answer: RunJob started the next.
        handed_over = (result.output or {}).get("status") == HAND_OVER_STATUS
        body = None if running else (result.output if handed_over else result.body)
        prompt = (result.input or {}).get("prompt")
        detail = ExecutionDetail(
            id=result.execution_arn.rsplit(":", 1)[-1],
            arn=result.execution_arn,
            prompt=prompt if isinstance(prompt, str) else None,
            status=result.status,
            outcome=_outcome(result.status, body),
            stage=(body or {}).get("stage"),
            reason_code=(body or {}).get("reason_code"),
            decided_by=result.states[-1] if running and result.states else deciding_state(result.states),
            error=result.error,
            http_status=None if running or handed_over else result.http_status,
            started=result.started,
            stopped=result.stopped,
            body=body,
            states=list(result.history),
        )
        if not running:
            self._ended[result.execution_arn] = detail
        return detail
