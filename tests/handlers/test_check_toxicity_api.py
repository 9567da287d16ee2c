"""The CheckToxicityApi handler: POST /check-toxicity through an API Gateway REST proxy event."""

from __future__ import annotations

import base64
import json
import re

import pytest

from repo_paths import FRONTEND_DIR, REPO_ROOT
from workflow.local.environment import LocalEnvironment
from workflow.local.lambda_dispatch import LocalLambdaContext

BENIGN = "a red bicycle leaning on a wall"
TOXIC = "you are a worthless idiot and I will hurt you"
DEEP = "[" * 5000 + "]" * 5000


def first_examples() -> dict[str, str]:
    """The prompts a new user types first: the README's first command and the page's placeholder."""
    readme = (REPO_ROOT / "README.md").read_text()
    page = (FRONTEND_DIR / "index.html").read_text()
    return {
        "readme": re.search(r'make run PROMPT="([^"]+)"', readme).group(1),
        "placeholder": re.search(r'<textarea id="prompt"[^>]*placeholder="([^"]+)"', page).group(1),
    }


def proxy_event(body: str, path: str = "/check-toxicity", encoded: bool = False) -> dict:
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
        "isBase64Encoded": encoded,
    }


@pytest.fixture
def check_toxicity(env: LocalEnvironment):
    handler = env.dispatcher._handler("CheckToxicityApi")
    context = LocalLambdaContext(
        "CheckToxicityApi", "arn:aws:lambda:us-east-1:123456789012:function:CheckToxicityApi"
    )

    def call(body: str, path: str = "/check-toxicity", encoded: bool = False) -> tuple[int, dict]:
        response = handler(proxy_event(body, path, encoded), context)
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


@pytest.mark.parametrize(
    "body",
    [
        DEEP,
        '{"prompt": ' + DEEP + "}",
        '{"prompt": "a cat", "negative_prompt": "' + "x" * 10 + '", "n": ' + "9" * 5000 + "}",
        '{"prompt": NaN}',
        '{"prompt": Infinity}',
        "[]",
        "null",
    ],
    ids=["nested-5000", "prompt-nested-5000", "number-5000-digits", "nan", "infinity", "array", "null"],
)
def test_check_toxicity_answers_an_unreadable_body_with_400_in_the_contracts_shape(check_toxicity, body):
    status, answer = check_toxicity(body)
    assert status == 400
    assert answer == {"status": "FAILED", "error": "InvalidRequest", "message": answer["message"]}
    assert answer["message"].startswith("Invalid request: ")


def test_check_toxicity_answers_a_body_that_is_not_utf8_with_400(check_toxicity):
    # API Gateway hands a body that is not UTF-8 text to the function base64-encoded.
    status, answer = check_toxicity(base64.b64encode(b'{"prompt": "\xff\xfe"}').decode(), encoded=True)
    assert (status, answer["error"]) == (400, "InvalidRequest")


@pytest.mark.parametrize("where", ["readme", "placeholder"])
def test_the_first_prompt_a_new_user_tries_passes_the_prompt_check(check_toxicity, where):
    status, verdict = check_toxicity(json.dumps({"prompt": first_examples()[where]}))
    assert (status, verdict["safe"], verdict["reason_code"]) == (200, True, "")
