"""`make local AUTH=cognito`: the local API behind sign-in against moto's Cognito.

A token is the ID token moto's pool issues for USER_PASSWORD_AUTH, the flow the page
uses; the API checks it as the Cognito authorizer does and passes the user's `sub` on
as the run's caller, whose daily quota then counts.
"""

from __future__ import annotations

import base64
import json
import time

import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey
from werkzeug.test import Client

from text2image.contract import UNAUTHORIZED_BODY
from workflow.local.api import LocalApi
from workflow.local.auth import TEST_PASSWORD, TEST_USER, LocalSignIn, add_user, sign_in
from workflow.local.backend import LocalBackend
from workflow.local.environment import LocalEnvironment

BENIGN = {"prompt": "a jaguar in the Amazon rainforest", "seed": 3}


@pytest.fixture(scope="module")
def pool(local_env: LocalEnvironment) -> LocalSignIn:
    return LocalSignIn.create(local_env.cognito, local_env.moto_url)


@pytest.fixture
def api(env: LocalEnvironment, pool: LocalSignIn) -> Client:
    return Client(LocalApi(LocalBackend(env), authenticate=pool.verify, page_config=pool.page_config()))


@pytest.fixture(scope="module")
def token(pool: LocalSignIn) -> str:
    return sign_in(pool.page_config()["endpoint"], pool.client_id, TEST_USER, TEST_PASSWORD)


def forged(pool: LocalSignIn, **changes: object) -> str:
    """A token with the pool's claims, signed by a key that is not the pool's."""
    claims = {
        "iss": pool.issuer,
        "aud": pool.client_id,
        "token_use": "id",
        "sub": "someone-else",
        "exp": int(time.time()) + 3600,
        **changes,
    }
    return jwt.encode({"alg": "RS256", "kid": "dummy"}, claims, RSAKey.generate_key(2048))


def resigned_expired(token: str) -> str:
    """The real token with its expiry moved to the past: its signature no longer matches."""
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["exp"] = int(time.time()) - 60
    payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{payload}.{signature}"


def test_the_page_learns_how_to_sign_in(api: Client, pool: LocalSignIn):
    config = api.get("/auth-config.json").json
    assert config == {
        "auth": "cognito",
        "region": "us-east-1",
        "endpoint": f"{pool.moto_url}/",
        "userPoolId": pool.user_pool_id,
        "clientId": pool.client_id,
    }


@pytest.mark.parametrize("route", ["/api/generate", "/api/check-toxicity", "/api/jobs"])
def test_an_unauthenticated_request_gets_401_with_a_clear_body_and_starts_nothing(api, env, route):
    before = len(env.list_executions())
    answer = api.post(route, json=BENIGN if route != "/api/check-toxicity" else {"prompt": "a jaguar"})
    assert answer.status_code == 401
    assert answer.json == UNAUTHORIZED_BODY
    assert "Sign in" in answer.json["message"]
    assert len(env.list_executions()) == before


def test_forged_and_expired_tokens_get_401(api, pool, token):
    for bad in (forged(pool), resigned_expired(token), "not-a-token", token[:-4] + "AAAA"):
        answer = api.post("/api/generate", json=BENIGN, headers={"Authorization": bad})
        assert answer.status_code == 401, bad[:20]
        assert answer.json["error"] == "Unauthorized"


def test_a_signed_in_user_generates_and_the_run_counts_against_their_quota(api, env, pool, token):
    answer = api.post("/api/generate", json=BENIGN, headers={"Authorization": token})
    assert answer.status_code == 200, answer.json
    sub = jwt.decode(token, pool.key_set()).claims["sub"]
    run_input = json.loads(
        env.sfn.describe_execution(executionArn=env.list_executions(1)[0]["executionArn"])["input"]
    )
    assert run_input["caller"] == f"user:{sub}"

    env.configure(DAILY_IMAGE_QUOTA="1")
    refused = api.post(
        "/api/generate", json={**BENIGN, "seed": 4}, headers={"Authorization": f"Bearer {token}"}
    )
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) == refused.json["retry_after"] > 0
    assert refused.json["resets_at"] in refused.json["message"]


@pytest.fixture(scope="module")
def other_token(local_env: LocalEnvironment, pool: LocalSignIn) -> str:
    add_user(local_env.cognito, pool.user_pool_id, "second-user", TEST_PASSWORD)
    return sign_in(pool.page_config()["endpoint"], pool.client_id, "second-user", TEST_PASSWORD)


def finished_job(api: Client, url: str, token: str) -> dict:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        job = api.get(url, headers={"Authorization": token}).json
        if job["status"] == "DONE":
            return job
        time.sleep(0.5)
    raise AssertionError(f"{url} did not finish")


def test_an_idempotency_key_and_a_job_belong_to_the_user_who_sent_them(api, token, other_token):
    request = {**BENIGN, "seed": 11}
    mine = api.post("/api/jobs", json=request, headers={"Authorization": token, "Idempotency-Key": "k-1"})
    assert mine.status_code == 202, mine.json

    # Another user cannot read the job, nor reach it by sending the same key and body.
    assert api.get(mine.headers["Location"], headers={"Authorization": other_token}).status_code == 404
    theirs = api.post(
        "/api/jobs", json=request, headers={"Authorization": other_token, "Idempotency-Key": "k-1"}
    )
    assert theirs.status_code == 202
    assert theirs.json["job_id"] != mine.json["job_id"]
    assert api.get(theirs.headers["Location"], headers={"Authorization": token}).status_code == 404

    assert finished_job(api, mine.headers["Location"], token)["http_status"] == 200
    assert finished_job(api, theirs.headers["Location"], other_token)["http_status"] == 200
    # The same key on POST /generate with another body is that user's own new request, not a 409.
    again = {**BENIGN, "seed": 12}
    first = api.post(
        "/api/generate", json=request, headers={"Authorization": token, "Idempotency-Key": "k-2"}
    )
    second = api.post(
        "/api/generate", json=again, headers={"Authorization": other_token, "Idempotency-Key": "k-2"}
    )
    assert (first.status_code, second.status_code) == (200, 200), second.json
    assert first.json["image_url"] != second.json["image_url"]
