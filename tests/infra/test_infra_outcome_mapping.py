"""The deployed `/generate` mapping templates, rendered for real StartSyncExecution answers.

The proof that the cloud and the local API agree: each integration response the
stack synthesizes is rendered (airspeed, a Velocity engine) with a small
emulation of API Gateway's `$input`, `$util` and `$context`, and must produce
exactly the status and body `text2image.contract.http_response` gives the local API.
"""

from __future__ import annotations

import json
from typing import Any

import airspeed
import pytest

from tests.infra.stack_fixtures import CUSTOM, Synth, synthesize
from text2image.contract import execution_input, http_response, response_headers

ARN = "arn:aws:states:us-east-1:123456789012:express:Text2Image:4f1c0d5e-8d1b-4f9a-9d6e-3c2b1a0f9e8d:1b2c"


class Input:
    """API Gateway's `$input` over a JSON body (only the simple paths the templates use)
    and the request's headers (`$input.params(name)`: "" when absent)."""

    def __init__(self, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        self.body = body
        self.headers = headers or {}

    def params(self, name: str) -> str:
        return self.headers.get(name, "")

    def path(self, path: str) -> Any:
        value: Any = self.body
        for part in filter(None, path.removeprefix("$").split(".")):
            value = value.get(part) if isinstance(value, dict) else None
        return value

    def json(self, path: str) -> str:
        return json.dumps(self.path(path))


class Util:
    """API Gateway's `$util`: escapeJavaScript escapes like Java (`'` becomes `\\'`)."""

    @staticmethod
    def escapeJavaScript(value: Any) -> str:
        return json.dumps(str(value), ensure_ascii=False)[1:-1].replace("'", "\\'")

    @staticmethod
    def parseJson(value: str) -> Any:
        return json.loads(value)


def render(
    template: str, body: dict[str, Any], headers: dict[str, str] | None = None
) -> tuple[dict[str, Any], str]:
    context: dict[str, Any] = {"responseOverride": {"header": {}}, "requestId": "req-1"}
    variables = {"input": Input(body, headers), "util": Util(), "context": context}
    text = airspeed.Template(template).merge(variables)
    return context, text


@pytest.fixture(scope="module")
def synth() -> Synth:
    return synthesize(CUSTOM)


@pytest.fixture(scope="module")
def integration(synth: Synth) -> dict[str, Any]:
    resources = synth.template["Resources"]
    generate = next(
        k
        for k, v in resources.items()
        if v["Type"] == "AWS::ApiGateway::Resource" and v["Properties"]["PathPart"] == "generate"
    )
    return next(
        v["Properties"]["Integration"]
        for v in resources.values()
        if v["Type"] == "AWS::ApiGateway::Method"
        and v["Properties"]["ResourceId"] == {"Ref": generate}
        and v["Properties"]["HttpMethod"] == "POST"
    )


APPROVED = {
    "status": "APPROVED",
    "image_url": "https://bucket.s3.amazonaws.com/generated_images/x.png?X-Amz-Signature=abc&X-Amz-Expires=3600",
    "image_key": "generated_images/x.png",
    "expires_in": 3600,
    "seed": 42,
    "width": 1024,
    "height": 1024,
    "model": "model-imagegeneration-stabilityai-stable-diffusion-xl-base-1-0",
    # A translated prompt: non-ASCII and quotes must come through the template unchanged.
    "prompt_language": "zh",
    "translated_prompt": 'Generate a "jaguar" picture in the Amazon\'s rainforest',
    "execution_id": ARN,
}
PROMPT_REJECTED = {
    "status": "REJECTED",
    "stage": "prompt",
    "reason_code": "TOXIC_PROMPT",
    "reason": 'The prompt was judged "toxic" (it\'s insulting).',
    "labels": [{"name": "INSULT", "score": 0.91, "parent": None}],
    "prompt_language": "es",
    "translated_prompt": "you are an idiot",
    "execution_id": ARN,
}
IMAGE_REJECTED = {
    "status": "REJECTED",
    "stage": "image",
    "reason_code": "UNSAFE_IMAGE",
    "reason": "The image was judged unsafe.",
    "labels": [{"name": "Graphic Violence", "score": 0.88, "parent": "Violence"}],
    "prompt_language": "en",
    "translated_prompt": None,
    "execution_id": ARN,
}

# StartSyncExecution answers, as the service sends them (output is a JSON string).
EXECUTIONS: dict[str, dict[str, Any]] = {
    "approved": {"status": "SUCCEEDED", "output": APPROVED},
    "prompt rejected": {"status": "SUCCEEDED", "output": PROMPT_REJECTED},
    "image rejected": {"status": "SUCCEEDED", "output": IMAGE_REJECTED},
    "invalid request": {
        "status": "FAILED",
        "error": "InvalidRequest",
        "cause": "The request does not match the API: it needs a non-empty prompt.",
    },
    "generation failed": {
        "status": "FAILED",
        "error": "GenerationFailed",
        "cause": "The image could not be generated. Try again later.",
    },
    "prompt check failed, with quotes in the cause": {
        "status": "FAILED",
        "error": "PromptCheckFailed",
        "cause": 'The prompt couldn\'t be "checked" for safety.',
    },
    "failed without error or cause": {"status": "FAILED"},
    "timed out": {"status": "TIMED_OUT"},
    "generation timed out": {
        "status": "FAILED",
        "error": "GenerationTimedOut",
        "cause": "The image could not be generated in the time this request allows.",
    },
    "busy": {
        "status": "SUCCEEDED",
        "output": {
            "status": "BUSY",
            "error": "Busy",
            "message": "The image service is busy.",
            "retry_after": 60,
            "execution_id": ARN,
        },
    },
    "idempotency key reused": {
        "status": "SUCCEEDED",
        "output": {
            "status": "CONFLICT",
            "error": "IdempotencyKeyReused",
            "message": "This Idempotency-Key was used with a different body.",
            "execution_id": ARN,
        },
    },
    "first request with the key still running": {
        "status": "SUCCEEDED",
        "output": {
            "status": "CONFLICT",
            "error": "RequestInProgress",
            "message": "The first request with this Idempotency-Key is still running.",
            "retry_after": 17,
            "execution_id": ARN,
        },
    },
    "aborted": {"status": "ABORTED"},
    "succeeded with an unknown output": {"status": "SUCCEEDED", "output": {"status": "MAYBE"}},
}


@pytest.mark.parametrize("case", list(EXECUTIONS))
def test_generate_answers_every_outcome_exactly_as_the_local_api_does(
    integration: dict[str, Any], case: str
) -> None:
    execution = EXECUTIONS[case]
    output = execution.get("output")
    answer = {
        "executionArn": ARN,
        "stateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:Text2Image",
        "name": "4f1c0d5e",
        "startDate": 1.7e9,
        "stopDate": 1.7e9 + 8,
        "status": execution["status"],
        "input": json.dumps({"prompt": "a jaguar"}),
        "billingDetails": {"billedMemoryUsedInMB": 64, "billedDurationInMilliseconds": 8000},
    }
    if output is not None:
        answer["output"] = json.dumps(output)
    for key in ("error", "cause"):
        if key in execution:
            answer[key] = execution[key]
    (success,) = [r for r in integration["IntegrationResponses"] if "SelectionPattern" not in r]
    assert success["StatusCode"] == "200"

    context, text = render(success["ResponseTemplates"]["application/json"], answer)

    expected_status, expected_body = http_response(
        execution["status"], output, execution.get("error"), execution.get("cause"), ARN
    )
    assert context["responseOverride"]["status"] == expected_status
    assert json.loads(text) == expected_body
    assert context["responseOverride"]["header"] == response_headers(expected_status, expected_body)


def test_the_status_mapping_covers_the_issue_table(integration: dict[str, Any]) -> None:
    (success,) = [r for r in integration["IntegrationResponses"] if "SelectionPattern" not in r]
    template = success["ResponseTemplates"]["application/json"]
    statuses = {}
    cases = ("approved", "prompt rejected", "invalid request", "generation failed", "timed out", "busy")
    for case in (*cases, "generation timed out", "idempotency key reused"):
        execution = EXECUTIONS[case]
        answer = {"executionArn": ARN, **execution}
        if "output" in execution:
            answer["output"] = json.dumps(execution["output"])
        statuses[case] = render(template, answer)[0]["responseOverride"]["status"]
    assert statuses == {
        "approved": 200,
        "prompt rejected": 422,
        "invalid request": 400,
        "generation failed": 502,
        "timed out": 504,
        "busy": 503,
        "generation timed out": 504,
        "idempotency key reused": 409,
    }


def test_a_failed_start_call_answers_502_in_the_contract_shape(integration: dict[str, Any]) -> None:
    (failed,) = [r for r in integration["IntegrationResponses"] if "SelectionPattern" in r]
    assert failed["StatusCode"] == "502"
    assert failed["SelectionPattern"] == r"[45]\d{2}"
    body = json.loads(failed["ResponseTemplates"]["application/json"])
    assert body["status"] == "FAILED" and body["error"] == "StartFailed"


@pytest.mark.parametrize(
    "body",
    [
        {"prompt": "a jaguar in the Amazon rainforest"},
        {"prompt": 'the jaguar\'s "gaze", at dusk', "negative_prompt": "blur; 50% noise\\", "seed": 7},
        {"prompt": "un jaguar très élégant 🐆", "size": "1216x832"},
    ],
)
def test_the_request_body_reaches_the_workflow_unchanged(
    integration: dict[str, Any], body: dict[str, Any]
) -> None:
    request = start_request(integration, body, {})
    assert request["stateMachineArn"] == "arn:resolved"
    assert json.loads(request["input"]) == body == execution_input(body, None)


def start_request(
    integration: dict[str, Any], body: dict[str, Any], headers: dict[str, str]
) -> dict[str, Any]:
    template = integration["RequestTemplates"]["application/json"]
    # The state machine ARN is a CloudFormation reference: resolve it as CloudFormation would.
    assert isinstance(template, dict) and "Fn::Join" in template
    text = "".join(part if isinstance(part, str) else "arn:resolved" for part in template["Fn::Join"][1])
    return json.loads(render(text, body, headers)[1])


@pytest.mark.parametrize(
    "key",
    ["order-42", 'a "quoted" key, with \\ and \' and $dollar #hash', "clé-ü-🐆", "k" * 255, "k" * 256],
)
def test_an_idempotency_key_header_reaches_the_workflow_beside_the_body_as_the_local_api_sends_it(
    integration: dict[str, Any], key: str
) -> None:
    body = {"prompt": 'the jaguar\'s "gaze"', "seed": 7}
    request = start_request(integration, body, {"Idempotency-Key": key})
    # Too long a key is passed on too: the claim refuses it with a 400, as locally.
    assert json.loads(request["input"]) == execution_input(body, key) == {"idempotency_key": key, **body}


def test_an_empty_idempotency_key_header_is_no_key(integration: dict[str, Any]) -> None:
    body = {"prompt": "a jaguar"}
    request = start_request(integration, body, {"Idempotency-Key": ""})
    assert json.loads(request["input"]) == body == execution_input(body, "")
