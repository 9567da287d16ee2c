"""What the handlers emit: metrics, correlation ids, and traces when tracing is on."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time

import pytest

from repo_paths import LAMBDAS_DIR
from tests.workflow.test_generation_slots import slot_table
from text2image.catalogue import FUNCTIONS
from text2image.observability import BUSY_REFUSALS_METRIC, QUEUE_DEPTH_METRIC, SLOT_WAIT_METRIC
from workflow.local.environment import LocalEnvironment

BENIGN = "a red bicycle leaning on a wall"
TOXIC = "you are a worthless idiot and I will hurt you"


def emf_documents(text: str) -> list[dict]:
    documents = []
    for line in text.splitlines():
        if line.startswith("{") and '"_aws"' in line:
            documents.append(json.loads(line))
    return documents


def metric_names(documents: list[dict]) -> set[str]:
    return {
        metric["Name"]
        for document in documents
        for directive in document["_aws"]["CloudWatchMetrics"]
        for metric in directive["Metrics"]
    }


@pytest.fixture
def metrics_on(env: LocalEnvironment) -> LocalEnvironment:
    env.configure(POWERTOOLS_METRICS_DISABLED="false", POWERTOOLS_LOG_LEVEL="INFO")
    return env


def test_an_approved_run_emits_approval_and_generation_latency_metrics(metrics_on, capfd):
    result = metrics_on.run({"prompt": BENIGN})
    assert result.http_status == 200

    names = metric_names(emf_documents(capfd.readouterr().out))
    assert {"PromptsChecked", "GenerationLatency", "ImagesApproved"} <= names


def test_a_rejection_is_counted_by_stage_and_by_label(metrics_on, capfd):
    result = metrics_on.run({"prompt": TOXIC})
    assert result.http_status == 422

    documents = emf_documents(capfd.readouterr().out)
    assert "PromptRejections" in metric_names(documents)
    by_label = [document for document in documents if "RejectionsByLabel" in document]
    assert by_label, "no per-label rejection metric"
    assert {document["stage"] for document in by_label} == {"prompt"}
    assert {document["label"] for document in by_label} <= {label["name"] for label in result.body["labels"]}


def metric_values(documents: list[dict], name: str) -> list[float]:
    """Every value of one metric over the documents (a document holds a list when it was added twice)."""
    values: list[float] = []
    for document in documents:
        value = document.get(name)
        if value is not None:
            values.extend(value if isinstance(value, list) else [value])
    return values


def test_a_run_that_waited_for_its_slot_reports_the_wait_and_the_queue(metrics_on, capfd):
    table = slot_table(metrics_on)
    table.try_acquire("arn:holder", capacity=1, lease_expiry=time.time() + 60)
    threading.Timer(2.0, table.release, args=("arn:holder",)).start()

    result = metrics_on.run({"prompt": BENIGN})
    assert result.http_status == 200

    documents = emf_documents(capfd.readouterr().out)
    (waited,) = metric_values(documents, SLOT_WAIT_METRIC)
    assert 1.5 <= waited < 30  # from its place in the queue to the slot the holder gave back after 2 s
    depths = metric_values(documents, QUEUE_DEPTH_METRIC)
    assert depths[0] == 1  # itself, on arrival
    assert depths[-1] == 0  # nobody left behind it once it took the slot
    assert metric_values(documents, BUSY_REFUSALS_METRIC) == []


def test_a_run_refused_for_a_full_queue_counts_a_busy_refusal_and_the_queue_it_saw(metrics_on, capfd):
    table = slot_table(metrics_on)
    now = time.time()
    table.try_acquire("arn:holder", capacity=1, lease_expiry=now + 60)
    for index in range(3):
        table.wait(f"arn:waiter-{index}", now - 3 + index)

    result = metrics_on.run({"prompt": BENIGN})
    assert result.http_status == 503

    documents = emf_documents(capfd.readouterr().out)
    assert metric_values(documents, BUSY_REFUSALS_METRIC) == [1]
    assert metric_values(documents, QUEUE_DEPTH_METRIC) == [4]  # three waiting, and itself
    assert metric_values(documents, SLOT_WAIT_METRIC) == []


def test_every_log_line_of_a_run_carries_its_execution_as_correlation_id(metrics_on, capfd):
    result = metrics_on.run({"prompt": BENIGN})

    logs = [json.loads(line) for line in capfd.readouterr().out.splitlines() if line.startswith('{"level"')]
    assert logs
    assert {entry.get("correlation_id") for entry in logs} == {result.execution_arn}


TRACED_INVOCATION = """
import json
from aws_xray_sdk.core import xray_recorder

class Collected:
    def __init__(self):
        self.documents = []
    def send_entity(self, entity):
        self.documents.append(entity.to_dict())
    def set_daemon_address(self, address):
        pass

from text2image import observability
collected = Collected()
xray_recorder.configure(emitter=collected, context_missing="LOG_ERROR")

@observability.observed_handler
def handler(event, context):
    return {"ok": True}

class Context:
    function_name = "Traced"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:Traced"
    memory_limit_in_mb = 128
    function_version = "$LATEST"
    aws_request_id = "r"
    log_group_name = log_stream_name = ""

handler({}, Context())
print(json.dumps({
    "tracer": type(observability.tracer).__name__,
    "disabled": observability.tracer.disabled,
    "subsegments": [document["name"] for document in collected.documents],
}))
"""


def run_handler_process(code: str, **environment: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "AWS_DEFAULT_REGION": "us-east-1", "PYTHONPATH": str(LAMBDAS_DIR), **environment},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )


def test_with_tracing_on_the_handler_runs_in_a_real_xray_subsegment():
    # As in Lambda with active tracing: a trace header, the task root, no daemon needed.
    result = run_handler_process(
        TRACED_INVOCATION,
        POWERTOOLS_TRACE_DISABLED="false",
        LAMBDA_TASK_ROOT=str(LAMBDAS_DIR),
        _X_AMZN_TRACE_ID="Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
    )
    traced = json.loads(result.stdout.splitlines()[-1])
    assert traced["tracer"] == "Tracer"
    assert traced["disabled"] is False
    assert "## handler" in traced["subsegments"]


@pytest.mark.parametrize(
    "environment",
    [
        {"POWERTOOLS_TRACE_DISABLED": "true", "LAMBDA_TASK_ROOT": "/var/task"},
        {"POWERTOOLS_TRACE_DISABLED": "false"},
    ],
    ids=["disabled", "outside-lambda"],
)
def test_with_tracing_off_a_handler_never_loads_the_xray_sdk(environment):
    code = (
        "import sys, text2image.handlers.generate_image, text2image.observability as o;"
        "print(o.tracer is None, 'aws_xray_sdk' in sys.modules)"
    )
    result = run_handler_process(code, ENDPOINT_NAME="e", IMAGE_BUCKET="bucket", **environment)
    assert result.stdout.split() == ["True", "False"]


COLD_START_INVOCATION = """
import gc, json
import text2image.handlers.generate_image
from text2image import observability

after_import = gc.isenabled()

@observability.observed_handler
def handler(event, context):
    return {"collecting": gc.isenabled()}

class Context:
    function_name = "Cold"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:Cold"
    memory_limit_in_mb = 128
    function_version = "$LATEST"
    aws_request_id = "r"
    log_group_name = log_stream_name = ""

first = handler({}, Context())
print(json.dumps({
    "after_import": after_import,
    "in_first_call": first["collecting"],
    "frozen": gc.get_freeze_count() > 0,
}))
"""


@pytest.mark.parametrize(
    ("environment", "expected"),
    [
        (
            {"LAMBDA_TASK_ROOT": str(LAMBDAS_DIR)},
            {"after_import": False, "in_first_call": True, "frozen": True},
        ),
        ({}, {"after_import": True, "in_first_call": True, "frozen": False}),
        (
            {"LAMBDA_TASK_ROOT": str(LAMBDAS_DIR), "AWS_SAM_LOCAL": "true"},
            {"after_import": True, "in_first_call": True, "frozen": False},
        ),
    ],
    ids=["lambda", "outside-lambda", "sam-local"],
)
def test_in_lambda_the_collector_is_paused_from_the_handler_import_to_its_first_call(environment, expected):
    clean = {name: "" for name in ("LAMBDA_TASK_ROOT", "AWS_SAM_LOCAL", "AWS_CHALICE_CLI_MODE")}
    result = run_handler_process(
        COLD_START_INVOCATION,
        ENDPOINT_NAME="e",
        IMAGE_BUCKET="bucket",
        POWERTOOLS_TRACE_DISABLED="true",
        **{**clean, **environment},
    )
    assert json.loads(result.stdout.splitlines()[-1]) == expected


def test_the_check_toxicity_api_ends_the_pause_on_its_first_call_too():
    code = COLD_START_INVOCATION.replace(
        "import text2image.handlers.generate_image", "import text2image.handlers.check_toxicity_api as api"
    ).replace(
        "first = handler({}, Context())",
        "first = {'collecting': None}; api.handler("
        "{'path': '/nowhere', 'httpMethod': 'GET', 'requestContext': {}, 'headers': {}}, Context())",
    )
    result = run_handler_process(
        code, POWERTOOLS_TRACE_DISABLED="true", LAMBDA_TASK_ROOT=str(LAMBDAS_DIR), AWS_SAM_LOCAL=""
    )
    outcome = json.loads(result.stdout.splitlines()[-1])
    assert (outcome["after_import"], outcome["frozen"]) == (False, True)


@pytest.mark.parametrize("name", [spec.name for spec in FUNCTIONS])
def test_every_function_ends_the_cold_start_pause_when_first_called(env: LocalEnvironment, name: str):
    # A handler that never did would leave its container without a garbage collector.
    handler = env.dispatcher._handler(name)
    assert getattr(handler, "ends_cold_start", False), f"{name} is not wrapped by resumes_collection"
