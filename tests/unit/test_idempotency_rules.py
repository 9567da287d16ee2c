"""The Idempotency-Key rules of POST /generate, with explicit times."""

from __future__ import annotations

import pytest

from text2image.contract import ConflictResponse, execution_input
from text2image.domain.idempotency import (
    IDEMPOTENCY_KEY_FIELD,
    IDEMPOTENCY_WINDOW_SECONDS,
    IN_PROGRESS_ERROR,
    KEY_REUSED_ERROR,
    LEASE_MARGIN_SECONDS,
    MAX_IDEMPOTENCY_KEY_CHARS,
    KeyRecord,
    KeyStatus,
    decide_repeat,
    is_final_answer,
    is_free,
    key_problem,
    new_claim,
    replayed_answer,
    request_digest,
    scoped_key_id,
)
from text2image.domain.jobs import JOB_RETENTION_SECONDS, new_job_id

STARTED = 1_000_000.0  # the claiming run's start
BUDGET = 28


def claim(**changes: object) -> KeyRecord:
    record = new_claim("id", "digest", "arn:first", STARTED, BUDGET)
    return KeyRecord(**{**record.__dict__, **changes})  # type: ignore[arg-type]


def test_a_claim_is_leased_until_its_run_must_have_ended_and_kept_24_hours():
    record = claim()
    assert record.status == KeyStatus.IN_PROGRESS
    assert record.lease_expires_at == STARTED + BUDGET + LEASE_MARGIN_SECONDS
    assert record.expires_at == STARTED + IDEMPOTENCY_WINDOW_SECONDS == STARTED + JOB_RETENTION_SECONDS


def test_a_key_is_free_when_nobody_holds_it_or_its_holder_is_gone():
    assert is_free(None, "arn:me", STARTED)
    assert not is_free(claim(), "arn:me", STARTED + 10)
    assert is_free(claim(), "arn:first", STARTED + 10)  # its own claim: a replayed task
    # The holder's run timed out without settling: free once its lease has passed.
    assert not is_free(claim(), "arn:me", STARTED + BUDGET + LEASE_MARGIN_SECONDS)
    assert is_free(claim(), "arn:me", STARTED + BUDGET + LEASE_MARGIN_SECONDS + 0.1)
    # An answer is kept past any lease, until the record's 24 h are over (TTL deletion lags).
    answered = claim(status=KeyStatus.ANSWERED, answer={"status": "APPROVED"})
    assert not is_free(answered, "arn:me", STARTED + 3600)
    assert is_free(answered, "arn:me", STARTED + IDEMPOTENCY_WINDOW_SECONDS + 1)


def test_a_repeat_with_another_body_is_refused_whatever_the_holder_is_doing():
    for record in (claim(), claim(status=KeyStatus.ANSWERED, answer={"status": "APPROVED"})):
        assert decide_repeat(record, "other", STARTED + 1, STARTED + 1, 25, 1).decision == "reused"


def test_a_repeat_after_the_answer_gets_it():
    answer = {"status": "REJECTED", "stage": "prompt"}
    decided = decide_repeat(
        claim(status=KeyStatus.ANSWERED, answer=answer), "digest", STARTED + 60, STARTED + 60, 25, 1
    )
    assert (decided.decision, decided.answer) == ("answered", answer)


def test_a_repeat_waits_for_the_first_while_its_own_wait_lasts_then_answers_in_progress():
    repeat_started = STARTED + 2
    waiting = decide_repeat(claim(), "digest", repeat_started + 23.5, repeat_started, 25, 1)
    assert (waiting.decision, waiting.wait_seconds) == ("wait", 1)
    # Another poll would pass its 25 s: 409, to come back when the first's lease is over.
    now = repeat_started + 24.5
    given_up = decide_repeat(claim(), "digest", now, repeat_started, 25, 1)
    assert given_up.decision == "in_progress"
    assert given_up.retry_after == 7  # ceil((STARTED + 28 + 5) - (STARTED + 26.5))


def test_in_progress_always_says_to_come_back_at_least_a_second_later():
    record = claim(lease_expires_at=STARTED + 5)
    assert decide_repeat(record, "digest", STARTED + 5, STARTED, 0, 1).retry_after == 1


def test_only_approvals_and_rejections_are_kept_on_the_key():
    assert is_final_answer({"status": "APPROVED"}) and is_final_answer({"status": "REJECTED"})
    for status in ("BUSY", "FAILED", "CONFLICT", None):
        assert not is_final_answer({"status": status})


def test_a_replayed_approval_gets_a_url_signed_now_for_its_key_and_a_rejection_is_unchanged():
    approved = {
        "status": "APPROVED",
        "image_url": "old",
        "image_key": "generated_images/x.png",
        "expires_in": 3600,
    }
    signed: list[str] = []

    def presign(key: str) -> str:
        signed.append(key)
        return f"https://signed/{key}"

    replayed = replayed_answer(approved, presign, 120)
    assert replayed == {**approved, "image_url": "https://signed/generated_images/x.png", "expires_in": 120}
    rejected = {"status": "REJECTED", "stage": "image"}
    assert replayed_answer(rejected, presign, 120) == rejected
    assert signed == ["generated_images/x.png"]  # nothing signed for a rejection


def test_keys_are_1_to_255_characters_and_scoped_by_route():
    assert key_problem("k") is None and key_problem("k" * MAX_IDEMPOTENCY_KEY_CHARS) is None
    assert key_problem("") and key_problem("k" * (MAX_IDEMPOTENCY_KEY_CHARS + 1))
    assert scoped_key_id("k", "generate") != scoped_key_id("k", "jobs") == new_job_id("k")
    assert request_digest({"prompt": "a", "seed": 1}) == request_digest({"seed": 1, "prompt": "a"})


def test_the_execution_input_carries_the_key_beside_the_body_only_when_one_was_sent():
    body = {"prompt": "a jaguar"}
    assert execution_input(body, None) == execution_input(body, "") == body
    assert execution_input(body, "k") == {IDEMPOTENCY_KEY_FIELD: "k", "prompt": "a jaguar"}


@pytest.mark.parametrize("error", [KEY_REUSED_ERROR, IN_PROGRESS_ERROR])
def test_the_409_body_names_the_errors_the_domain_names(error: str):
    assert ConflictResponse(error=error, message="m").status == "CONFLICT"  # type: ignore[arg-type]
