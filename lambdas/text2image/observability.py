"""Logger, tracer and metrics, built once for every function.

The tracer is built only where Powertools would trace (in Lambda, with
POWERTOOLS_TRACE_DISABLED not true): Powertools' Tracer imports the X-Ray SDK
even when disabled, and that import is a large part of a cold start.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from functools import wraps
from typing import TYPE_CHECKING, Any, TypeVar

from aws_lambda_powertools import Logger, Metrics, single_metric
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.metrics.functions import is_metrics_disabled
from aws_lambda_powertools.shared import constants
from aws_lambda_powertools.shared.functions import strtobool

from text2image.startup import resumes_collection, running_in_lambda

if TYPE_CHECKING:
    from aws_lambda_powertools import Tracer

    from text2image.contract import Label

SERVICE = "text2image"
NAMESPACE = "Text2Image"
# Admission to the endpoint (acquire_slot.py), read by the dashboard too.
QUEUE_DEPTH_METRIC = "GenerationQueueDepth"
SLOT_WAIT_METRIC = "SlotWaitSeconds"
BUSY_REFUSALS_METRIC = "BusyRefusals"

logger = Logger(service=SERVICE)
metrics = Metrics(namespace=NAMESPACE, service=SERVICE)


def tracing_enabled(environ: Mapping[str, str] = os.environ) -> bool:
    """Powertools' own rule: trace in Lambda (not under SAM or Chalice locally)
    unless POWERTOOLS_TRACE_DISABLED is true."""
    if strtobool(environ.get(constants.TRACER_DISABLED_ENV, "false")):
        return False
    return running_in_lambda(environ)


def _build_tracer() -> Tracer | None:
    if not tracing_enabled():
        return None
    from aws_lambda_powertools import Tracer

    return Tracer(service=SERVICE)


tracer = _build_tracer()

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]
Function = TypeVar("Function", bound=Callable[..., Any])


def traced_handler(handler: Handler) -> Handler:
    """The handler in an X-Ray segment of its own, when tracing is on."""
    return tracer.capture_lambda_handler(handler) if tracer else handler


def traced(method: Function) -> Function:
    """A subsegment for one method, when tracing is on."""
    return tracer.capture_method(method) if tracer else method


def observed_handler(handler: Handler) -> Handler:
    """Every state's handler: Lambda context in the logs, an X-Ray segment, and
    its metrics flushed as one EMF document per invocation; the first call ends
    the cold start's pause of the garbage collector (startup.py)."""
    return resumes_collection(logger.inject_lambda_context(traced_handler(metered_handler(handler))))


def observed_api_handler(handler: Handler) -> Handler:
    """A handler behind API Gateway (a REST proxy): as `observed_handler`, with the
    request's id as the correlation id of its logs."""
    from aws_lambda_powertools.logging import correlation_paths

    injected = logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
    return resumes_collection(injected(traced_handler(metered_handler(handler))))


def metered_handler(handler: Handler) -> Handler:
    """The handler's metrics flushed as one EMF document per invocation, or dropped
    when metrics are disabled. Powertools (3.37) with POWERTOOLS_METRICS_DISABLED
    neither writes nor clears them at the end of an invocation: they pile up over a
    warm container's invocations, and `add_metric` writes the pile anyway when one
    metric reaches 100 values (its overflow flush checks nothing)."""
    flushed = metrics.log_metrics(handler)

    @wraps(handler)
    def invoke(event: dict[str, Any], context: Any) -> dict[str, Any]:
        try:
            return flushed(event, context)
        finally:
            if is_metrics_disabled():
                metrics.clear_metrics()

    return invoke


def rejection_metric_name(stage: str) -> str:
    """`PromptRejections`, `ImageRejections`: the metric the dashboard and alarms read too."""
    return f"{stage.capitalize()}Rejections"


def count_rejection(stage: str, labels: Iterable[Label], reason_code: str) -> None:
    """One `Rejections` data point per stage, and one `RejectionsByLabel` per label that caused it."""
    metrics.add_metric(name=rejection_metric_name(stage), unit=MetricUnit.Count, value=1)
    # single_metric writes its document even when metrics are disabled.
    if not is_metrics_disabled():
        for label in labels:
            # A label is a dimension, so each gets an EMF document of its own.
            with single_metric(
                name="RejectionsByLabel",
                unit=MetricUnit.Count,
                value=1,
                namespace=NAMESPACE,
                default_dimensions={"service": SERVICE, "stage": stage, "label": label.name},
            ):
                pass
    logger.info("rejected", extra={"stage": stage, "reason_code": reason_code})
