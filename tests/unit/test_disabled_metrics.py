"""POWERTOOLS_METRICS_DISABLED (set by the local runner and the tests) keeps a handler
silent over any number of warm invocations; with metrics on, each invocation still
writes one EMF document of its own."""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from typing import Any

import pytest

from text2image.observability import metrics, observed_handler
from workflow.local.lambda_dispatch import LocalLambdaContext

# Past Powertools' 100 values of one metric, where it writes whatever it holds.
INVOCATIONS = 150


@observed_handler
def counting_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    metrics.add_metric(name="GenerationQueueDepth", unit="Count", value=event["depth"])
    return {}


def invoke_warm(times: int) -> None:
    context = LocalLambdaContext(function_name="AcquireGenerationSlot", invoked_function_arn="arn:local")
    for depth in range(times):
        counting_handler({"depth": depth}, context)


def emf_documents(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{") and '"_aws"' in line]


@pytest.fixture(autouse=True)
def no_metrics_left() -> Iterator[None]:
    metrics.clear_metrics()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="No application metrics to publish")
        yield
    metrics.clear_metrics()


def test_disabled_metrics_are_never_written_however_many_invocations_a_container_serves(monkeypatch, capsys):
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")

    invoke_warm(INVOCATIONS)

    assert emf_documents(capsys.readouterr().out) == []
    assert not metrics.metric_set


def test_enabled_metrics_are_written_once_per_invocation_with_that_invocations_values(monkeypatch, capsys):
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")

    invoke_warm(3)

    documents = emf_documents(capsys.readouterr().out)
    assert [document["GenerationQueueDepth"] for document in documents] == [[0.0], [1.0], [2.0]]
