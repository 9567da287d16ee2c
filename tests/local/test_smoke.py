"""`make smoke` against the local stack's API on a real port: it passes on a healthy
stack, fails (exit 1, FAIL in the table) when an answer is wrong, and signs or keys
its requests as the deployment's auth mode asks."""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from workflow.local.api import ApiServer, LocalApi
from workflow.local.backend import LocalBackend
from workflow.local.environment import LocalEnvironment
from workflow.ops.smoke import SmokeClient, api_base, main, region_of, run_checks, standard_checks
from workflow.standins.admin import inject_fault

CREDENTIALS = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")


class RecordingApi:
    """The local API, recording each request's headers and body as it arrived."""

    def __init__(self, app: LocalApi) -> None:
        self.app = app
        self.requests: list[dict[str, Any]] = []

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        from werkzeug.wrappers import Request

        request = Request(environ)
        body = request.get_data()
        self.requests.append({"url": request.url, "headers": dict(request.headers), "body": body})
        environ["wsgi.input"] = io.BytesIO(body)  # read once here: the API reads it again
        return self.app(environ, start_response)


@pytest.fixture
def served(env: LocalEnvironment) -> Iterator[tuple[str, RecordingApi]]:
    recording = RecordingApi(LocalApi(LocalBackend(env)))
    server = ApiServer(recording, port=0).start()  # type: ignore[arg-type]
    try:
        yield server.url, recording
    finally:
        server.stop()


def test_smoke_passes_against_a_healthy_local_stack(served, capsys):
    url, _ = served

    assert main([url]) == 0

    out = capsys.readouterr().out
    for name in (
        "approved image",
        "toxic prompt rejected",
        "invalid body refused",
        "job approved",
        "check-toxicity",
    ):
        assert re.search(rf"^{name}.*\bok$", out, re.MULTILINE), out
    assert "6 passed, 0 failed" in out


def test_smoke_fails_and_says_why_when_the_image_check_rejects_a_benign_image(served, env, capsys):
    url, _ = served
    inject_fault(env.standins_url, "rekognition", "flag")

    assert main([url]) == 1

    out = capsys.readouterr().out
    assert re.search(r"^approved image .*FAIL: HTTP 422, expected 200", out, re.MULTILINE), out
    assert "5 passed, 1 failed" in out  # the job after it draws its own image, unflagged


def test_smoke_fails_when_the_endpoint_is_down(served, env):
    url, _ = served
    inject_fault(env.standins_url, "sagemaker", "error", count=5)

    (approved,) = [
        r for r in run_checks(SmokeClient(url), standard_checks()) if r.check.name == "approved image"
    ]

    assert not approved.passed
    assert approved.status == 502


def test_an_image_of_the_wrong_size_is_a_failure(served):
    url, _ = served
    checks = [c for c in standard_checks() if c.name == "approved image"]
    # The same answer, judged against a size it was not asked for.
    from workflow.ops.smoke import image_problems

    client = SmokeClient(url)
    answer = client.post(checks[0].route, checks[0].body)
    assert answer.status == 200
    assert image_problems(answer, client, "1216x832") == []
    assert image_problems(answer, client, "1024x1024") == ["image is 1216x832, expected 1024x1024"]


def test_iam_mode_signs_every_request_with_sigv4_for_execute_api(served):
    url, recording = served
    client = SmokeClient(url, auth="iam", region="eu-west-1", credentials=CREDENTIALS)

    client.post("/check-toxicity", {"prompt": "a red bicycle"})

    (sent,) = recording.requests
    authorization = sent["headers"]["Authorization"]
    assert re.fullmatch(
        r"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/\d{8}/eu-west-1/execute-api/aws4_request, "
        r"SignedHeaders=[a-z0-9;-]*host[a-z0-9;-]*, Signature=[0-9a-f]{64}",
        authorization,
    )
    # The signature is the one botocore computes for this exact request.
    replay = AWSRequest(
        method="POST", url=sent["url"], data=sent["body"], headers={"Content-Type": "application/json"}
    )
    replay.context["timestamp"] = sent["headers"]["X-Amz-Date"]
    signer = SigV4Auth(CREDENTIALS, "execute-api", "eu-west-1")
    replay.headers["X-Amz-Date"] = sent["headers"]["X-Amz-Date"]
    canonical = signer.canonical_request(replay)
    expected = signer.signature(signer.string_to_sign(replay, canonical), replay)
    assert authorization.endswith(f"Signature={expected}")
    assert "x-api-key" not in {name.lower() for name in sent["headers"]}


def test_api_key_mode_sends_the_key_and_no_signature(served):
    url, recording = served
    client = SmokeClient(url, auth="apiKey", api_key="k3y")

    client.post("/check-toxicity", {"prompt": "a red bicycle"})

    (sent,) = recording.requests
    assert sent["headers"]["X-Api-Key"] == "k3y"
    assert "Authorization" not in sent["headers"]


def test_modes_that_lack_what_they_need_are_refused_before_any_request(monkeypatch):
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    with pytest.raises(ValueError, match="api-key"):
        SmokeClient("http://127.0.0.1:1", auth="apiKey")
    with pytest.raises(ValueError, match="region"):
        SmokeClient("http://127.0.0.1:1", auth="iam", region=None, credentials=CREDENTIALS)


@pytest.mark.parametrize(
    ("url", "base", "region"),
    [
        (
            "https://abc123.execute-api.eu-west-1.amazonaws.com/api/",
            "https://abc123.execute-api.eu-west-1.amazonaws.com/api",
            "eu-west-1",
        ),
        ("https://d1.cloudfront.net", "https://d1.cloudfront.net/api", None),
        ("http://127.0.0.1:8080/", "http://127.0.0.1:8080/api", None),
    ],
)
def test_the_api_base_and_region_come_from_the_stack_outputs(url, base, region, monkeypatch):
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    assert api_base(url) == base
    assert region_of(api_base(url)) == region


def test_a_follow_up_get_is_signed_too(served):
    # Checks that poll (a job's state, once jobs exist) read with GET, signed like the POSTs.
    url, recording = served
    client = SmokeClient(url, auth="iam", region="eu-west-1", credentials=CREDENTIALS)

    answer = client.get("/openapi.json")

    assert answer.status == 200
    assert answer.body["openapi"].startswith("3.1")
    (sent,) = recording.requests
    assert sent["body"] == b""
    assert sent["headers"]["Authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
