"""Idempotency-Key on POST /generate: the real ASL on moto, the real handlers, the Keys table.

A run is started with the execution input the request template (and the local API)
builds: the body, plus `idempotency_key` when the header was sent.
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
import requests

from tests.conftest import ANSWER_END, FAILURE_END, endpoint_answers, wait_for_endpoint_answers
from text2image.adapters.idempotency import KeyTable
from text2image.contract import execution_input, response_headers
from text2image.domain.idempotency import (
    GENERATE_ROUTE,
    KeyRecord,
    KeyStatus,
    is_free,
    new_claim,
    scoped_key_id,
)
from text2image.tables import IDEMPOTENCY_KEYS
from workflow.local.environment import TABLE_NAMES, LocalEnvironment, RunResult
from workflow.measure.loadtest import generations_per_key
from workflow.standins.admin import inject_fault

BENIGN = "a jaguar in the Amazon rainforest"
TOXIC = "you are a worthless idiot and I will hurt you"
# A run that held the key passes its answer or failure through the settle task.
SETTLED = ["ShouldSettleIdempotencyKey", "SettleIdempotencyKey", "ShouldRefundCallersQuota", "DidTheRunFail"]
REPLAYED = [
    "ReceiveRequest",
    "IsThereAnIdempotencyKey",
    "ClaimIdempotencyKey",
    "WhatDoesTheIdempotencyKeySay",
]


def run(env: LocalEnvironment, body: dict[str, Any], key: str | None) -> RunResult:
    return env.run(execution_input(body, key))


def key_of(env: LocalEnvironment, result: RunResult) -> str:
    described = env.sfn.describe_execution(executionArn=result.execution_arn)
    return json.loads(described["input"]).get("idempotency_key", "")


def url_lifetime(url: str) -> float:
    """Seconds a presigned URL has left: SigV4 says its lifetime, SigV2 its expiry time."""
    query = parse_qs(urlparse(url).query)
    if "X-Amz-Expires" in query:
        return float(query["X-Amz-Expires"][0])
    return float(query["Expires"][0]) - time.time()


def key_item(env: LocalEnvironment, key: str) -> dict[str, Any] | None:
    answer = env.dynamodb.get_item(
        TableName=TABLE_NAMES[IDEMPOTENCY_KEYS.env_var],
        Key={"key_id": {"S": scoped_key_id(key, GENERATE_ROUTE)}},
        ConsistentRead=True,
    )
    return answer.get("Item")


def test_a_repeat_after_the_answer_gets_the_same_answer_and_nothing_is_generated_again(env: LocalEnvironment):
    first = run(env, {"prompt": BENIGN, "seed": 7}, "order-1")
    assert first.http_status == 200
    assert first.states[:3] == ["ReceiveRequest", "IsThereAnIdempotencyKey", "ClaimIdempotencyKey"]
    assert first.states[-6:] == ["ImageApproved", *SETTLED, "AnswerGiven"]
    assert key_item(env, "order-1")["status"]["S"] == "ANSWERED"

    repeat = run(env, {"seed": 7, "prompt": BENIGN}, "order-1")  # the same body in another order

    assert repeat.status == "SUCCEEDED" and repeat.http_status == 200
    assert repeat.states == [*REPLAYED, "ReplayFirstAnswer"]
    assert repeat.body["execution_id"] == first.execution_arn  # the first run's answer
    unsigned = {"image_url", "expires_in"}
    assert {k: v for k, v in repeat.body.items() if k not in unsigned} == {
        k: v for k, v in first.body.items() if k not in unsigned
    }
    assert len(env.dispatcher.calls_to("GenerateImage")) == 1
    assert len(env.dispatcher.calls_to("CheckPromptToxicity")) == 1
    assert requests.get(repeat.body["image_url"], timeout=10).status_code == 200


def test_a_replayed_approval_gets_a_freshly_signed_url_of_the_same_image(env: LocalEnvironment):
    first = run(env, {"prompt": BENIGN}, "order-2")
    # As if the first URL had expired: the replay signs anew, with the replaying function's TTL.
    env.configure("ClaimIdempotencyKey", URL_TTL_SECONDS="120")
    repeat = run(env, {"prompt": BENIGN}, "order-2")

    assert first.body["expires_in"] == 3600
    assert repeat.body["expires_in"] == 120
    assert repeat.body["image_key"] == first.body["image_key"]
    assert 110 <= url_lifetime(repeat.body["image_url"]) <= 120
    assert urlparse(repeat.body["image_url"]).path.endswith(first.body["image_key"])
    assert requests.get(repeat.body["image_url"], timeout=10).status_code == 200
    assert len(env.dispatcher.calls_to("GenerateImage")) == 1


def test_a_rejected_prompt_is_remembered_too(env: LocalEnvironment):
    first = run(env, {"prompt": TOXIC}, "order-3")
    repeat = run(env, {"prompt": TOXIC}, "order-3")

    assert first.http_status == repeat.http_status == 422
    assert repeat.body == first.body
    assert repeat.states == [*REPLAYED, "ReplayFirstAnswer"]
    assert len(env.dispatcher.calls_to("CheckPromptToxicity")) == 1


def test_the_same_key_with_another_body_is_a_409_and_nothing_runs(env: LocalEnvironment):
    run(env, {"prompt": BENIGN}, "order-4")
    other = run(env, {"prompt": BENIGN, "seed": 8}, "order-4")

    assert other.status == "SUCCEEDED"  # an answer, not a failure of the service
    assert other.http_status == 409
    assert (other.body["status"], other.body["error"]) == ("CONFLICT", "IdempotencyKeyReused")
    assert "retry_after" not in other.body and response_headers(409, other.body) == {}
    assert other.states == [*REPLAYED, "IdempotencyKeyReused"]
    assert len(env.dispatcher.calls_to("CheckPromptToxicity")) == 1


def test_a_failed_first_request_frees_its_key_and_a_repeat_generates(env: LocalEnvironment):
    inject_fault(env.standins_url, "sagemaker", "error", count=1)
    failed = run(env, {"prompt": BENIGN}, "order-5")

    assert failed.status == "FAILED" and failed.http_status == 502
    assert failed.body["error"] == "GenerationFailed"  # the error and cause the failure state named
    assert failed.states[-6:] == ["GenerationFailed", *SETTLED, "RunFailed"]
    assert key_item(env, "order-5") is None  # nothing was delivered: the key is free

    retried = run(env, {"prompt": BENIGN}, "order-5")

    assert retried.http_status == 200
    assert "GenerateImage" in retried.states
    assert key_item(env, "order-5")["status"]["S"] == "ANSWERED"


def test_a_busy_refusal_frees_its_key(env: LocalEnvironment):
    # No capacity can come in time: 503 on arrival, and the key must not keep the refusal.
    env.configure(EXPECTED_GENERATION_SECONDS="60")
    refused = run(env, {"prompt": BENIGN}, "order-6")

    assert refused.http_status == 503
    assert refused.states[-6:] == ["GenerationBusy", *SETTLED, "AnswerGiven"]
    assert key_item(env, "order-6") is None


def test_concurrent_repeats_wait_for_the_first_and_get_its_answer_from_one_generation(env: LocalEnvironment):
    inject_fault(env.standins_url, "sagemaker", "slow", delay_seconds=3)
    answered = endpoint_answers(env)
    arns = [env.start_execution(execution_input({"prompt": BENIGN}, "order-7")) for _ in range(3)]
    results = [env.wait(arn, timeout=60) for arn in arns]

    assert [result.http_status for result in results] == [200, 200, 200]
    assert len({result.body["image_key"] for result in results}) == 1
    assert len(env.dispatcher.calls_to("GenerateImage")) == 1
    waited = [result for result in results if "WaitForFirstAnswer" in result.states]
    assert len(waited) == 2 and all(result.states[-1] == "ReplayFirstAnswer" for result in waited)
    wait_for_endpoint_answers(env, answered + 1)
    time.sleep(0.5)
    assert endpoint_answers(env) == answered + 1


def test_a_repeat_that_cannot_wait_for_a_slow_first_answers_409_with_retry_after(env: LocalEnvironment):
    env.configure("ClaimIdempotencyKey", IDEMPOTENCY_WAIT_SECONDS="0")
    inject_fault(env.standins_url, "sagemaker", "slow", delay_seconds=4)
    first_arn = env.start_execution(execution_input({"prompt": BENIGN}, "order-8"))
    deadline = time.monotonic() + 20
    while key_item(env, "order-8") is None:
        assert time.monotonic() < deadline, "the first run never claimed its key"
        time.sleep(0.1)

    repeat = run(env, {"prompt": BENIGN}, "order-8")
    first = env.wait(first_arn, timeout=60)

    assert repeat.http_status == 409
    assert (repeat.body["status"], repeat.body["error"]) == ("CONFLICT", "RequestInProgress")
    # Until the first run's lease ends: by then it has answered (or its key is free).
    assert 1 <= repeat.body["retry_after"] <= 28 + 5
    assert response_headers(409, repeat.body) == {"Retry-After": str(repeat.body["retry_after"])}
    assert repeat.states == [*REPLAYED, "RequestInProgress"]
    assert first.http_status == 200
    assert len(env.dispatcher.calls_to("GenerateImage")) == 1


def test_a_key_too_long_is_refused_with_400_and_nothing_is_claimed(env: LocalEnvironment):
    result = run(env, {"prompt": BENIGN}, "k" * 256)

    assert result.status == "FAILED" and result.http_status == 400
    assert result.body["error"] == "InvalidRequest"
    assert "Idempotency-Key" in result.body["message"]
    assert result.states == [
        "ReceiveRequest",
        "IsThereAnIdempotencyKey",
        "ClaimIdempotencyKey",
        "IdempotencyKeyInvalid",
    ]
    assert env.dispatcher.calls_to("CheckPromptToxicity") == []


def test_a_run_without_a_key_passes_by_the_key_states(env: LocalEnvironment):
    result = run(env, {"prompt": BENIGN}, None)

    assert result.http_status == 200
    assert result.states[1] == "IsThereAnIdempotencyKey" and result.states[2] == "ReserveCallersQuota"
    assert result.states[-len(ANSWER_END) :] == ANSWER_END
    assert (
        env.dispatcher.calls_to("ClaimIdempotencyKey")
        == env.dispatcher.calls_to("SettleIdempotencyKey")
        == []
    )


def test_a_failure_without_a_key_still_ends_with_its_own_error_and_cause(env: LocalEnvironment):
    inject_fault(env.standins_url, "sagemaker", "error", count=1)
    result = run(env, {"prompt": BENIGN}, None)

    assert (result.status, result.error) == ("FAILED", "GenerationFailed")
    assert result.cause == "The image could not be generated. Try again later."
    assert result.states[-len(FAILURE_END) :] == FAILURE_END


def test_two_keys_sent_twice_at_once_generate_at_most_once_each(env: LocalEnvironment):
    arns: list[str] = []
    lock = threading.Lock()

    def send(key: str) -> None:
        arn = env.start_execution(execution_input({"prompt": BENIGN}, key))
        with lock:
            arns.append(arn)

    threads = [threading.Thread(target=send, args=(key,)) for key in ("a", "b", "a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    results = [env.wait(arn, timeout=90) for arn in arns]

    # One slot: a key's first run may be refused 503 (its key freed, its repeat may then generate).
    assert {result.http_status for result in results} <= {200, 503}
    per_key = generations_per_key(env)
    assert set(per_key) <= {"a", "b"} and all(count == 1 for count in per_key.values())
    for key in ("a", "b"):
        images = {r.body["image_key"] for r in results if r.http_status == 200 and key_of(env, r) == key}
        assert len(images) == per_key[key]


@pytest.mark.parametrize(
    ("holder", "status", "seconds_later"),
    [
        ("arn:first", KeyStatus.IN_PROGRESS, 10),  # held, leased
        ("arn:first", KeyStatus.IN_PROGRESS, 28 + 5 + 1),  # its run ended without settling
        ("arn:first", KeyStatus.ANSWERED, 28 + 5 + 1),  # an answer outlives the lease
        ("arn:first", KeyStatus.ANSWERED, 24 * 3600 + 1),  # past 24 h, not yet deleted by TTL
        ("arn:me", KeyStatus.IN_PROGRESS, 10),  # this run's own claim, replayed
    ],
)
def test_the_tables_put_condition_is_the_domains_rule_of_a_free_key(
    env: LocalEnvironment, holder: str, status: KeyStatus, seconds_later: float
):
    table = KeyTable(env.dynamodb, TABLE_NAMES[IDEMPOTENCY_KEYS.env_var])
    started = time.time() - 100_000
    claimed = new_claim("key-id", "digest", holder, started, 28)
    assert table.claim(claimed, started) is None
    if status == KeyStatus.ANSWERED:
        assert table.remember("key-id", holder, {"status": "APPROVED"})
    held = KeyRecord(**{**claimed.__dict__, "status": status})
    now = started + seconds_later

    found = table.claim(new_claim("key-id", "digest", "arn:me", now, 28), now)

    assert (found is None) is is_free(held, "arn:me", now)
    if found is not None:
        assert (found.execution_id, found.status) == (holder, status)


def test_a_run_whose_claim_was_taken_over_can_neither_remember_nor_release_it(env: LocalEnvironment):
    table = KeyTable(env.dynamodb, TABLE_NAMES[IDEMPOTENCY_KEYS.env_var])
    started = time.time() - 100
    assert table.claim(new_claim("key-id", "digest", "arn:late", started, 28), started) is None
    # Its lease passed: another run takes the key over.
    assert table.claim(new_claim("key-id", "digest", "arn:next", time.time(), 28), time.time()) is None

    assert not table.remember("key-id", "arn:late", {"status": "APPROVED"})
    assert not table.release("key-id", "arn:late")
    held = table.claim(new_claim("key-id", "digest", "arn:third", time.time(), 28), time.time())
    assert held is not None and (held.execution_id, held.status) == ("arn:next", KeyStatus.IN_PROGRESS)
    assert table.release("key-id", "arn:next") and not table.release("key-id", "arn:next")
