"""The pure rules of admission: who the caller is, which UTC day counts, when a day's
quota resets, and what a paused or exhausted caller is told."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from text2image.domain.quota import (
    PAUSED_JOB_RECHECK_SECONDS,
    caller_of,
    counter_id,
    is_charged,
    over_quota_allowance,
    paused_allowance,
    quota_day,
    quota_resets_at,
)

TOKYO = timezone(timedelta(hours=9))


@pytest.mark.parametrize(
    ("context", "caller"),
    [
        ({"authorizer": {"claims": {"sub": "abc"}}, "identity": {"apiKeyId": "k1"}}, "user:abc"),
        ({"authorizer": {"claims": {}}, "identity": {"apiKeyId": "k1"}}, "key:k1"),
        ({"identity": {"apiKeyId": "k1"}}, "key:k1"),
        ({"authorizer": None, "identity": None}, None),
        ({"authorizer": {"claims": {"sub": ""}}, "identity": {"apiKeyId": ""}}, None),
        ({}, None),
    ],
)
def test_the_caller_is_the_signed_in_user_before_the_api_key(context, caller):
    assert caller_of(context) == caller


def test_the_day_is_the_utc_day_whatever_the_clocks_zone():
    # 08:30 in Tokyo on 1 February is still 31 January in UTC.
    now = datetime(2026, 2, 1, 8, 30, tzinfo=TOKYO)
    assert quota_day(now) == "2026-01-31"
    assert counter_id("user:abc", quota_day(now)) == "user:abc#2026-01-31"
    assert quota_resets_at(now) == datetime(2026, 2, 1, tzinfo=UTC)


def test_the_quota_resets_at_the_next_utc_midnight_even_at_midnight():
    assert quota_resets_at(datetime(2026, 12, 31, 0, 0, tzinfo=UTC)) == datetime(2027, 1, 1, tzinfo=UTC)


def test_an_exhausted_caller_is_told_when_to_come_back():
    now = datetime(2026, 3, 4, 23, 59, 59, 500_000, tzinfo=UTC)
    allowance = over_quota_allowance(now, used=20, limit=20)

    assert allowance.decision == "over_quota"
    assert allowance.resets_at == "2026-03-05T00:00:00Z"
    assert allowance.retry_after == 1  # half a second rounds up, never to 0
    assert (allowance.used, allowance.limit) == (20, 20)
    assert over_quota_allowance(datetime(2026, 3, 4, 12, tzinfo=UTC), 5, 5).retry_after == 12 * 3600


def test_a_paused_job_waits_while_its_run_has_time_for_the_wait_and_a_generation():
    enough = 2 * PAUSED_JOB_RECHECK_SECONDS + 1
    waiting = paused_allowance(is_job=True, seconds_left=enough, retry_after=60)
    assert (waiting.decision, waiting.wait_seconds) == ("wait", PAUSED_JOB_RECHECK_SECONDS)

    late = paused_allowance(is_job=True, seconds_left=2 * PAUSED_JOB_RECHECK_SECONDS, retry_after=60)
    assert (late.decision, late.retry_after) == ("paused", 60)


def test_a_paused_synchronous_request_is_answered_at_once():
    allowance = paused_allowance(is_job=False, seconds_left=10_000, retry_after=30)
    assert (allowance.decision, allowance.retry_after, allowance.wait_seconds) == ("paused", 30, None)


@pytest.mark.parametrize(
    ("status", "charged"), [("APPROVED", True), ("REJECTED", False), ("FAILED", False), (None, False)]
)
def test_only_an_approved_image_spends_the_quota(status, charged):
    assert is_charged(status) is charged
