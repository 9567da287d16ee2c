"""The local API's own rules, against a scripted stand-in for the local stack:
routes, request validation, the outcome table, the proxy event and the page."""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from werkzeug.test import Client

from text2image.contract import OUTCOME_RULES, SDXL_SIZES, execution_input, http_response
from workflow.local.api import FRONTEND_DIR, LocalApi
from workflow.local.backend import LocalBackend
from workflow.local.environment import RunResult
from workflow.local.history import StateRecord

T0 = datetime(2025, 1, 1, 12, 0, 0, tzinfo=UTC)
ARN_PREFIX = "arn:aws:states:us-east-1:123456789012:execution:text2image:"


class ExecutionDoesNotExist(Exception):
    pass


class ScriptedSfn:
    """What the backend reads of a Step Functions client: its exception classes."""

    exceptions = SimpleNamespace(ExecutionDoesNotExist=ExecutionDoesNotExist)


class ScriptedDispatcher:
    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def invoke(self, function: str, payload: str) -> tuple[bytes, str | None]:
        event = json.loads(payload)
        self.events.append(event)
        if json.loads(event["body"]).get("prompt") == "crash":
            return json.dumps({"errorType": "KeyError", "errorMessage": "boom"}).encode(), "Unhandled"
        answer = {
            "statusCode": 200,
            "headers": {"Content-Type": "application/json"},
            "body": json.dumps({"safe": True, "labels": [], "language": "en", "language_score": 0.99}),
            "isBase64Encoded": False,
        }
        return json.dumps(answer).encode(), None


class ScriptedEnvironment:
    """Ends every execution the way it is told to: (status, output, error, cause)."""

    moto_url = "http://127.0.0.1:1"
    standins_url = "http://127.0.0.1:2"
    bucket = "bucket"
    state_machine_arn = "arn:aws:states:us-east-1:123456789012:stateMachine:text2image"

    def __init__(
        self,
        status: str = "SUCCEEDED",
        output: dict | None = None,
        error: str | None = None,
        path: tuple[str, ...] = (),
    ):
        self.outcome = {"status": status, "output": output, "error": error, "cause": "a fixed cause"}
        # The states each run passes after CheckPromptToxicity.
        self.path = path
        self.started: list[dict[str, Any]] = []
        self.ended: dict[str, dict[str, Any]] = {}
        self.sfn = ScriptedSfn()
        self.dispatcher = ScriptedDispatcher()

    def start_execution(self, body: dict[str, Any]) -> str:
        self.started.append(body)
        arn = f"{ARN_PREFIX}run-{len(self.started)}"
        self.ended[arn] = dict(self.outcome) | {"input": body}
        return arn

    def execution_arn(self, name: str) -> str:
        return f"{ARN_PREFIX}{name}"

    def wait(self, arn: str, timeout: float, history: bool = True) -> RunResult:
        if self.ended[arn]["status"] == "RUNNING":
            time.sleep(timeout)
            raise TimeoutError(arn)
        return self.describe(arn)

    def describe(self, arn: str) -> RunResult:
        if arn not in self.ended:
            raise ExecutionDoesNotExist(arn)
        ended = self.ended[arn]
        status, body = http_response(ended["status"], ended["output"], ended["error"], ended["cause"], arn)
        return RunResult(
            execution_arn=arn,
            status=ended["status"],
            input=ended["input"],
            output=ended["output"],
            error=ended["error"],
            started=T0,
            stopped=T0 + timedelta(milliseconds=1500),
            http_status=status,
            body=body,
            history=[
                StateRecord(
                    name="CheckPromptToxicity",
                    type="Task",
                    input={"request": {"prompt": "x"}},
                    output={"ok": True},
                    started=T0,
                    ended=T0 + timedelta(milliseconds=250),
                    attempts=2,
                    errors=["ComprehendThrottled"],
                ),
                *(StateRecord(name=name, type="Pass", started=T0) for name in self.path),
            ],
        )

    def image_model(self) -> dict[str, str]:
        return {"image_model": "tiny", "notice": "coloured noise"}

    def list_executions(self, limit: int) -> list[dict[str, Any]]:
        return [
            {"executionArn": arn, "name": arn.rsplit(":", 1)[-1], "status": ended["status"], "startDate": T0}
            for arn, ended in reversed(self.ended.items())
        ][:limit]


APPROVED = {
    "status": "APPROVED",
    "image_url": "http://127.0.0.1:1/bucket/generated_images/a.png?X-Amz-Signature=x",
    "image_key": "generated_images/a.png",
    "expires_in": 3600,
    "seed": 7,
    "width": 1024,
    "height": 1024,
    "model": "sdxl",
    "prompt_language": "en",
    "translated_prompt": None,
}
REJECTED = {
    "status": "REJECTED",
    "stage": "image",
    "reason_code": "UNSAFE_IMAGE",
    "reason": "The image was classified as unsafe.",
    "labels": [{"name": "Explicit Nudity", "score": 0.97, "parent": "Explicit"}],
    "prompt_language": "en",
    "translated_prompt": None,
}


BUSY = {
    "status": "BUSY",
    "error": "Busy",
    "message": "The image service is busy.",
    "retry_after": 60,
}
PAUSED = {
    "status": "PAUSED",
    "error": "ServicePaused",
    "message": "The image service is paused by its operator. Try again after the time in Retry-After.",
    "retry_after": 300,
    "execution_id": "arn:x",
}
QUOTA_EXCEEDED = {
    "status": "QUOTA_EXCEEDED",
    "error": "QuotaExceeded",
    "message": "You have used your 50 images for today. "
    "The quota resets at 2030-01-02T00:00:00Z (UTC midnight).",
    "retry_after": 3600,
    "resets_at": "2030-01-02T00:00:00Z",
    "limit": 50,
    "execution_id": "arn:x",
}

IN_PROGRESS = {
    "status": "CONFLICT",
    "error": "RequestInProgress",
    "message": "The first request with this Idempotency-Key is still running.",
    "retry_after": 12,
}


def client_for(env: ScriptedEnvironment, timeout: float = 5.0) -> Client:
    return Client(LocalApi(LocalBackend(env), timeout=timeout))


# --- POST /api/generate ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("ended", "expected_status"),
    [
        (("SUCCEEDED", APPROVED, None), 200),
        (("SUCCEEDED", REJECTED, None), 422),
        (("FAILED", None, "InvalidRequest"), 400),
        (("FAILED", None, "GenerationFailed"), 502),
        (("FAILED", None, "ModerationFailed"), 502),
        (("FAILED", None, "ProvenanceFailed"), 502),
        (("FAILED", None, "GenerationTimedOut"), 504),
        (("SUCCEEDED", BUSY, None), 503),
        (("TIMED_OUT", None, "States.Timeout"), 504),
        (("ABORTED", None, None), 502),
    ],
)
def test_generate_answers_each_way_an_execution_ends_by_the_outcome_table(ended, expected_status):
    status, output, error = ended
    env = ScriptedEnvironment(status, output, error)

    response = client_for(env).post("/api/generate", json={"prompt": "a red bicycle"})

    expected = http_response(status, output, error, "a fixed cause", f"{ARN_PREFIX}run-1")
    assert (response.status_code, response.json) == expected
    assert response.status_code == expected_status
    assert response.headers["Content-Type"] == "application/json"


def test_every_row_of_the_outcome_table_is_reachable_through_the_local_api():
    cases = {
        (rule.execution_status, rule.output_status, rule.error): rule.http_status for rule in OUTCOME_RULES
    }
    seen = set()
    for (status, output_status, error), http_status in cases.items():
        output = {
            "APPROVED": APPROVED,
            "REJECTED": REJECTED,
            "BUSY": BUSY,
            "CONFLICT": IN_PROGRESS,
            "PAUSED": PAUSED,
            "QUOTA_EXCEEDED": QUOTA_EXCEEDED,
        }.get(output_status or "")
        env = ScriptedEnvironment(status, output, error or ("SomethingElse" if status == "FAILED" else None))
        response = client_for(env).post("/api/generate", json={"prompt": "a red bicycle"})
        assert response.status_code == http_status, (status, output_status, error)
        seen.add(http_status)
    assert seen == {200, 422, 400, 409, 429, 502, 503, 504}


def test_a_busy_answer_tells_the_caller_when_to_come_back():
    env = ScriptedEnvironment("SUCCEEDED", BUSY)

    response = client_for(env).post("/api/generate", json={"prompt": "a red bicycle"})

    assert response.status_code == 503
    assert response.headers["Retry-After"] == "60"
    assert response.json["error"] == "Busy"


def test_the_execution_input_is_the_request_body_exactly_as_sent():
    env = ScriptedEnvironment("SUCCEEDED", APPROVED)
    body = {"prompt": "a red bicycle", "negative_prompt": "rain", "seed": 3, "size": "832x1216"}

    client_for(env).post("/api/generate", json=body)

    assert env.started == [body]


def test_a_first_request_still_running_tells_a_repeat_when_to_come_back():
    env = ScriptedEnvironment("SUCCEEDED", IN_PROGRESS)

    response = client_for(env).post(
        "/api/generate", json={"prompt": "a red bicycle"}, headers={"Idempotency-Key": "k"}
    )

    assert response.status_code == 409
    assert response.headers["Retry-After"] == "12"


@pytest.mark.parametrize(
    ("headers", "query", "key"),
    [
        ({"Idempotency-Key": "order-42"}, "", "order-42"),
        ({"idempotency-key": "lower-case"}, "", "lower-case"),
        ({"Idempotency-Key": ""}, "", None),  # the template cannot tell empty from absent
        ({}, "?Idempotency-Key=from-query", "from-query"),  # as $input.params reads it
        ({}, "", None),
    ],
)
def test_the_idempotency_key_reaches_the_run_as_the_request_template_passes_it(headers, query, key):
    env = ScriptedEnvironment("SUCCEEDED", APPROVED)
    body = {"prompt": "a red bicycle", "seed": 3}

    client_for(env).post(f"/api/generate{query}", json=body, headers=headers)

    assert env.started == [execution_input(body, key)]
    assert ("idempotency_key" in env.started[0]) is (key is not None)


def test_a_run_that_outlives_the_integration_timeout_answers_504():
    env = ScriptedEnvironment("RUNNING")

    response = client_for(env, timeout=0.2).post("/api/generate", json={"prompt": "a red bicycle"})

    assert response.status_code == 504
    assert response.json["error"] == "Timeout"
    assert response.json["status"] == "TIMED_OUT"


@pytest.mark.parametrize(
    ("body", "mentions"),
    [
        ("not json", "not valid JSON"),
        ("{}", "'prompt' is a required property"),
        ("[]", "is not of type 'object'"),
        ('{"prompt": ""}', "prompt: the prompt must contain some text"),
        ('{"prompt": "   "}', "prompt: the prompt must contain some text"),
        ('{"prompt": "' + "a" * 1001 + '"}', "prompt: "),
        ('{"prompt": "a", "size": "512x512"}', "size: must be one of 1024x1024"),
        ('{"prompt": "a", "seed": -1}', "seed: -1 is less than the minimum of 0"),
        ('{"prompt": "a", "seed": 4294967296}', "seed: "),
        ('{"prompt": "a", "seed": "7"}', "seed: '7' is not of type 'integer'"),
        ('{"prompt": "a", "steps": 80}', "'steps' was unexpected"),
    ],
)
def test_an_invalid_generate_request_is_refused_with_400_before_any_execution(body, mentions):
    env = ScriptedEnvironment("SUCCEEDED", APPROVED)

    response = client_for(env).post("/api/generate", data=body, content_type="application/json")

    assert response.status_code == 400
    assert response.json["error"] == "InvalidRequest"
    assert response.json["message"].startswith("Invalid request: ")
    assert response.json["execution_id"] is None
    assert mentions in response.json["message"]
    assert env.started == []


def test_an_oversized_body_is_refused_with_413():
    env = ScriptedEnvironment("SUCCEEDED", APPROVED)
    response = client_for(env).post("/api/generate", data="x" * 1_000_001, content_type="application/json")
    assert response.status_code == 413
    assert env.started == []


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/api/generate"), ("POST", "/api/nowhere"), ("DELETE", "/api/check-toxicity")],
)
def test_a_route_the_api_does_not_have_answers_like_api_gateway(method, path):
    response = client_for(ScriptedEnvironment()).open(path, method=method)
    assert response.status_code == 403
    assert response.json == {"message": "Missing Authentication Token"}


# --- POST /api/check-toxicity ----------------------------------------------------------


def test_check_toxicity_reaches_the_handler_as_an_api_gateway_proxy_event():
    env = ScriptedEnvironment()

    response = client_for(env).post(
        "/api/check-toxicity?trace=1",
        json={"prompt": "a red bicycle", "negative_prompt": "rain"},
        headers={"X-Request-Source": "test"},
    )

    assert response.status_code == 200
    assert response.json["safe"] is True
    [event] = env.dispatcher.events
    assert event["httpMethod"] == "POST"
    # The deployed stage is "api": API Gateway leaves it out of path and resource.
    assert (event["path"], event["resource"]) == ("/check-toxicity", "/check-toxicity")
    assert (event["requestContext"]["stage"], event["requestContext"]["path"]) == (
        "api",
        "/api/check-toxicity",
    )
    assert json.loads(event["body"]) == {"prompt": "a red bicycle", "negative_prompt": "rain"}
    assert event["isBase64Encoded"] is False
    assert event["headers"]["X-Request-Source"] == "test"
    assert event["multiValueHeaders"]["X-Request-Source"] == ["test"]
    assert event["queryStringParameters"] == {"trace": "1"}
    assert event["requestContext"]["httpMethod"] == "POST"
    assert event["requestContext"]["resourcePath"] == "/check-toxicity"
    assert event["requestContext"]["requestId"]


@pytest.mark.parametrize("body", ["nope", "{}", '{"prompt": "a", "seed": 1}', '{"prompt": " "}'])
def test_check_toxicity_validates_by_its_request_model_before_the_handler(body):
    env = ScriptedEnvironment()
    response = client_for(env).post("/api/check-toxicity", data=body, content_type="application/json")
    assert response.status_code == 400
    assert response.json["error"] == "InvalidRequest"
    assert env.dispatcher.events == []


def test_a_crashing_proxy_handler_answers_502_like_api_gateway():
    response = client_for(ScriptedEnvironment()).post("/api/check-toxicity", json={"prompt": "crash"})
    assert response.status_code == 502
    assert response.json == {"message": "Internal server error"}


# --- bodies no parser should choke on, on every route ------------------------------------

DEEP = "[" * 5000 + "]" * 5000
UNPARSEABLE = {
    "nested-5000": DEEP.encode(),
    "prompt-nested-5000": ('{"prompt": ' + DEEP + "}").encode(),
    "invalid-utf8": b'{"prompt": "\xff\xfe"}',
    "number-5000-digits": b'{"prompt": "a", "seed": ' + b"9" * 5000 + b"}",
    "huge-float": b'{"prompt": "a", "seed": 1e999}',
    "nan": b'{"prompt": NaN}',
    "seed-nan": b'{"prompt": "a", "seed": NaN}',
}
BODY_ROUTES = ["/api/generate", "/api/check-toxicity"]
OTHER_ROUTES = [
    ("GET", "/api/executions"),
    ("GET", "/api/executions/run-1"),
    ("GET", "/api/_local"),
    ("GET", "/api/local-info"),
    ("GET", "/"),
    ("POST", "/api/nowhere"),
]


@pytest.mark.parametrize("path", BODY_ROUTES)
@pytest.mark.parametrize("body", UNPARSEABLE.values(), ids=UNPARSEABLE.keys())
def test_a_body_that_cannot_be_parsed_or_validated_is_a_400_on_every_route_that_reads_one(path, body):
    env = ScriptedEnvironment("SUCCEEDED", APPROVED)

    response = client_for(env).post(path, data=body, content_type="application/json")

    assert response.status_code == 400
    assert response.json["error"] == "InvalidRequest"
    assert response.json["message"].startswith("Invalid request: ")
    assert env.started == [] and env.dispatcher.events == []


@pytest.mark.parametrize(("method", "path"), OTHER_ROUTES)
@pytest.mark.parametrize("body", UNPARSEABLE.values(), ids=UNPARSEABLE.keys())
def test_routes_that_read_no_body_answer_as_without_one(method, path, body):
    client = client_for(ScriptedEnvironment())
    client.post("/api/generate", json={"prompt": "a red bicycle"})  # so that run-1 exists
    expected = client.open(path, method=method).status_code

    response = client.open(path, method=method, data=body, content_type="application/json")

    assert response.status_code == expected < 500


# --- inspection ---------------------------------------------------------------------------


def test_executions_list_newest_first_with_outcome_stage_and_duration():
    env = ScriptedEnvironment("SUCCEEDED", REJECTED)
    client = client_for(env)
    client.post("/api/generate", json={"prompt": "one"})
    client.post("/api/generate", json={"prompt": "two"})

    listed = client.get("/api/executions").json["executions"]

    assert [item["id"] for item in listed] == ["run-2", "run-1"]
    first = listed[0]
    assert (first["outcome"], first["stage"], first["reason_code"]) == ("REJECTED", "image", "UNSAFE_IMAGE")
    assert (first["http_status"], first["duration_ms"]) == (422, 1500.0)
    assert "states" not in first


@pytest.mark.parametrize(
    ("status", "output", "error", "path", "decided_by"),
    [
        (
            "SUCCEEDED",
            APPROVED,
            None,
            ("ImageApproved", "ShouldSettleIdempotencyKey", "AnswerGiven"),
            "ImageApproved",
        ),
        (
            "SUCCEEDED",
            REJECTED,
            None,
            ("ImageRejected", "ShouldSettleIdempotencyKey", "AnswerGiven"),
            "ImageRejected",
        ),
        (
            "SUCCEEDED",
            BUSY,
            None,
            ("GenerationBusy", "ShouldSettleIdempotencyKey", "AnswerGiven"),
            "GenerationBusy",
        ),
        (
            "FAILED",
            None,
            "GenerationFailed",
            ("GenerationFailed", "ShouldSettleIdempotencyKey", "RunFailed"),
            "GenerationFailed",
        ),
        ("TIMED_OUT", None, "States.Timeout", ("GenerateImage",), "GenerateImage"),
    ],
    ids=["approved", "rejected", "busy", "failed", "timed-out"],
)
def test_the_list_tells_runs_apart_by_their_prompt_and_names_the_state_that_decided_each_outcome(
    status, output, error, path, decided_by
):
    client = client_for(ScriptedEnvironment(status, output, error, path))
    client.post("/api/generate", json={"prompt": "a red bicycle leaning on a wall"})
    client.post("/api/generate", json={"prompt": "a lighthouse at dusk"})

    listed = client.get("/api/executions").json["executions"]

    assert [item["prompt"] for item in listed] == ["a lighthouse at dusk", "a red bicycle leaning on a wall"]
    assert {item["decided_by"] for item in listed} == {decided_by}


def test_the_workflow_diagram_is_served_for_the_executions_page():
    response = client_for(ScriptedEnvironment()).get("/api/workflow.svg")

    assert (response.status_code, response.mimetype) == (200, "image/svg+xml")
    assert b"<title>CheckPromptToxicity</title>" in response.data


def test_an_execution_shows_every_state_with_input_output_duration_retries_and_errors():
    env = ScriptedEnvironment("FAILED", None, "GenerationFailed")
    client = client_for(env)
    client.post("/api/generate", json={"prompt": "one"})

    detail = client.get("/api/executions/run-1").json

    assert (detail["outcome"], detail["error"], detail["http_status"]) == ("FAILED", "GenerationFailed", 502)
    [state] = detail["states"]
    assert state["name"] == "CheckPromptToxicity"
    assert state["input"] == {"request": {"prompt": "x"}}
    assert state["output"] == {"ok": True}
    assert (state["duration_ms"], state["attempts"], state["retries"]) == (250.0, 2, 1)
    assert state["errors"] == ["ComprehendThrottled"]


@pytest.mark.parametrize("execution_id", ["missing", "bad.id", "a" * 81])
def test_an_unknown_execution_is_404(execution_id):
    response = client_for(ScriptedEnvironment()).get(f"/api/executions/{execution_id}")
    assert response.status_code == 404


def test_a_bad_limit_is_400_not_a_crash():
    response = client_for(ScriptedEnvironment()).get("/api/executions?limit=lots")
    assert response.status_code == 400


def test_the_local_endpoints_are_exposed_for_tools_and_tests():
    info = client_for(ScriptedEnvironment()).get("/api/_local").json
    assert info["standins_url"] == "http://127.0.0.1:2"
    assert info["moto_url"] == "http://127.0.0.1:1"


def test_local_info_tells_the_page_about_the_local_image_model():
    response = client_for(ScriptedEnvironment()).get("/api/local-info")
    assert (response.status_code, response.json) == (200, {"image_model": "tiny", "notice": "coloured noise"})


# --- the page ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "mimetype"),
    [
        ("/", "text/html"),
        ("/index.html", "text/html"),
        ("/executions.html", "text/html"),
        ("/executions", "text/html"),
        ("/app.js", "text/javascript"),
        ("/style.css", "text/css"),
    ],
)
def test_the_page_is_served_on_the_api_origin(path, mimetype):
    response = client_for(ScriptedEnvironment()).get(path)
    assert response.status_code == 200
    assert response.mimetype == mimetype


@pytest.mark.parametrize("path", ["/../README.md", "/%2e%2e/README.md", "/nothing.js"])
def test_nothing_outside_the_frontend_folder_is_served(path):
    assert client_for(ScriptedEnvironment()).get(path).status_code == 404


def test_the_size_choices_are_exactly_the_sizes_sdxl_accepts():
    html = (FRONTEND_DIR / "index.html").read_text()
    select = re.search(r'<select id="size".*?</select>', html, re.S)
    assert select is not None
    assert tuple(re.findall(r'<option value="([^"]+)"', select.group(0))) == SDXL_SIZES
    assert re.search(r'<option value="1024x1024" selected', select.group(0))


def test_the_page_calls_the_api_relatively_so_it_works_behind_cloudfront():
    for script in ("app.js", "executions.js"):
        source = (FRONTEND_DIR / script).read_text()
        assert "http://" not in source and "https://" not in source
        assert re.search(r"[\"`]api/(jobs|executions)", source)


def test_every_form_control_has_a_label():
    html = (FRONTEND_DIR / "index.html").read_text()
    controls = re.findall(r'<(?:textarea|input|select)[^>]*\bid="([^"]+)"', html)
    labels = set(re.findall(r'<label for="([^"]+)"', html))
    assert controls and set(controls) <= labels
