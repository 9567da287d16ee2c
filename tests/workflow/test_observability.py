"""What the handlers emit (metrics, correlation ids) and the /check-toxicity proxy handler."""

from __future__ import annotations

import json

import pytest

from workflow.lambda_dispatch import LocalLambdaContext
from workflow.local import LocalEnvironment

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


def test_every_log_line_of_a_run_carries_its_execution_as_correlation_id(metrics_on, capfd):
    result = metrics_on.run({"prompt": BENIGN})

    logs = [json.loads(line) for line in capfd.readouterr().out.splitlines() if line.startswith('{"level"')]
    assert logs
    assert {entry.get("correlation_id") for entry in logs} == {result.execution_arn}


def proxy_event(body: str, path: str = "/check-toxicity") -> dict:
    return {
        "resource": path,
        "path": path,
        "httpMethod": "POST",
        "headers": {"content-type": "application/json"},
        "multiValueHeaders": {},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "requestId": "local",
            "stage": "prod",
            "path": f"/prod{path}",
            "httpMethod": "POST",
        },
        "body": body,
        "isBase64Encoded": False,
    }


@pytest.fixture
def check_toxicity(env: LocalEnvironment):
    handler = env.dispatcher._handler("CheckToxicityApi")
    context = LocalLambdaContext(
        "CheckToxicityApi", "arn:aws:lambda:us-east-1:123456789012:function:CheckToxicityApi"
    )

    def call(body: str, path: str = "/check-toxicity") -> tuple[int, dict]:
        response = handler(proxy_event(body, path), context)
        return response["statusCode"], json.loads(response["body"])

    return call


def test_check_toxicity_answers_a_verdict_with_labels(check_toxicity):
    status, body = check_toxicity(json.dumps({"prompt": TOXIC}))
    assert status == 200
    assert body["safe"] is False
    assert body["reason_code"] == "TOXIC_PROMPT"
    assert body["labels"]

    status, body = check_toxicity(json.dumps({"prompt": BENIGN}))
    assert (status, body["safe"]) == (200, True)


def test_check_toxicity_is_reached_under_the_api_prefix_behind_cloudfront(check_toxicity):
    status, body = check_toxicity(json.dumps({"prompt": BENIGN}), path="/api/check-toxicity")
    assert (status, body["safe"]) == (200, True)


@pytest.mark.parametrize("body", ["not json", "{}", '{"prompt": ""}', '{"prompt": "a", "extra": 1}'])
def test_check_toxicity_refuses_a_bad_body_with_400(check_toxicity, body):
    status, answer = check_toxicity(body)
    assert status == 400
    assert answer["error"] == "InvalidRequest"
