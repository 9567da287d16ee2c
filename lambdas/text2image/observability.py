"""Logger, tracer and metrics, built once for every function."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit

from text2image.contract import Label

SERVICE = "text2image"
NAMESPACE = "Text2Image"

logger = Logger(service=SERVICE)
tracer = Tracer(service=SERVICE)
metrics = Metrics(namespace=NAMESPACE, service=SERVICE)


Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


def observed_handler(handler: Handler) -> Handler:
    """Every state's handler: Lambda context in the logs, an X-Ray segment, and
    its metrics flushed as one EMF document per invocation."""
    return logger.inject_lambda_context(tracer.capture_lambda_handler(metrics.log_metrics(handler)))


def rejection_metric_name(stage: str) -> str:
    """`PromptRejections`, `ImageRejections`: the metric the dashboard and alarms read too."""
    return f"{stage.capitalize()}Rejections"


def count_rejection(stage: str, labels: Iterable[Label], reason_code: str) -> None:
    """One `Rejections` data point per stage, and one `RejectionsByLabel` per label that caused it."""
    metrics.add_metric(name=rejection_metric_name(stage), unit=MetricUnit.Count, value=1)
    for label in labels:
        # A label is a dimension, so each gets its own EMF document.
        by_label = EphemeralMetrics(namespace=NAMESPACE, service=SERVICE)
        by_label.add_dimension(name="stage", value=stage)
        by_label.add_dimension(name="label", value=label.name)
        by_label.add_metric(name="RejectionsByLabel", unit=MetricUnit.Count, value=1)
        by_label.flush_metrics()
    logger.info("rejected", extra={"stage": stage, "reason_code": reason_code})
