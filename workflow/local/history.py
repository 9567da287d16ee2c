"""An execution's history, state by state: what the Step Functions console shows."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from pydantic import BaseModel, computed_field


def duration_ms(started: datetime, ended: datetime | None) -> float | None:
    """Milliseconds from start to end, or None while it runs."""
    return None if ended is None else round((ended - started).total_seconds() * 1000, 1)


class StateRecord(BaseModel):
    """One state of an execution, as the console's timeline shows it."""

    name: str
    type: str
    input: Any = None
    output: Any = None
    started: datetime
    ended: datetime | None = None
    attempts: int = 0
    errors: list[str] = []

    @computed_field
    @property
    def retries(self) -> int:
        return max(self.attempts - 1, 0)

    @computed_field
    @property
    def duration_ms(self) -> float | None:
        return duration_ms(self.started, self.ended)


def _json(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def state_records(events: list[dict[str, Any]]) -> list[StateRecord]:
    """Fold history events into one record per state entered, in order."""
    records: list[StateRecord] = []
    current: StateRecord | None = None
    for event in events:
        kind: str = event["type"]
        if kind.endswith("StateEntered"):
            details = event["stateEnteredEventDetails"]
            current = StateRecord(
                name=details["name"],
                type=kind.removesuffix("StateEntered"),
                input=_json(details.get("input")),
                started=event["timestamp"],
            )
            records.append(current)
        elif current is None:
            continue
        elif kind.endswith("StateExited"):
            current.output = _json(event["stateExitedEventDetails"].get("output"))
            current.ended = event["timestamp"]
        elif kind.endswith("Scheduled") or kind == "TaskScheduled":
            current.attempts += 1
        elif kind.endswith("Failed") or kind.endswith("TimedOut"):
            details = next((value for key, value in event.items() if key.endswith("EventDetails")), {})
            current.errors.append(details.get("error", kind))
            if kind.startswith("Execution"):
                current.ended = event["timestamp"]
        elif kind.startswith("Execution"):
            current.ended = current.ended or event["timestamp"]
    return records


class RunResult(BaseModel):
    """An ended execution, its HTTP answer by the shared contract, and its history."""

    execution_arn: str
    status: str
    # The execution's input: the request as the API passed it.
    input: dict[str, Any] | None = None
    output: dict[str, Any] | None = None
    error: str | None = None
    cause: str | None = None
    started: datetime
    stopped: datetime | None = None
    http_status: int
    body: dict[str, Any]
    history: list[StateRecord] = []

    def state(self, name: str) -> StateRecord:
        return next(record for record in self.history if record.name == name)

    @property
    def states(self) -> list[str]:
        return [record.name for record in self.history]
