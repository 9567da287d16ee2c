"""`make loadtest` check 2 counts generations per job id, over all of a job's runs."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from text2image.domain.jobs import execution_name, new_job_id
from workflow.local.lambda_dispatch import Invocation
from workflow.measure.loadtest import generations_per_job, runs_per_job

MACHINE = "arn:aws:states:us-east-1:123456789012:execution:text2image-jobs"


def log(calls: list[Invocation]) -> Any:
    def calls_to(name: str) -> list[Invocation]:
        return [call for call in calls if call.function_name == name]

    return SimpleNamespace(dispatcher=SimpleNamespace(calls_to=calls_to))


def generated(name: str) -> Invocation:
    return Invocation("GenerateImage", {"execution_id": f"{MACHINE}:{name}"}, None)


def reserved(name: str) -> Invocation:
    return Invocation("AcquireGenerationSlot", {"mode": "reserve", "execution_name": name}, None)


def test_a_job_that_handed_over_and_generated_once_counts_once_and_one_drawn_in_two_runs_twice():
    once, twice = new_job_id(None), new_job_id(None)
    env = log(
        [
            reserved(execution_name(once)),
            reserved(execution_name(once, 2)),
            generated(execution_name(once, 2)),
            generated(execution_name(twice)),
            generated(execution_name(twice, 2)),
            generated("0b6e8f2a-a-sync-run"),
        ]
    )
    assert generations_per_job(env) == {once: 1, twice: 2}
    assert runs_per_job(env) == {once: 2}
