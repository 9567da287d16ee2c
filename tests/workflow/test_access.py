"""Who may spend the GPU: the pause switch and each caller's daily quota, on the real ASL.

A run is started with the execution input the request template (and the local API)
builds: the body, plus `caller` when the API authenticated one.
"""

from __future__ import annotations

from typing import Any

from text2image.contract import execution_input
from text2image.domain.quota import counter_id, quota_day
from text2image.tables import DAILY_QUOTAS
from workflow.local.environment import TABLE_NAMES, LocalEnvironment, RunResult
from workflow.standins.admin import clear_faults, inject_fault

BENIGN = "a jaguar in the Amazon rainforest"
TOXIC = "you are a worthless idiot and I will hurt you"
PAID = ("ComprehendDetect", "DetectToxicContent", "/endpoints/", "DetectModerationLabels", "TranslateText")


def run(env: LocalEnvironment, prompt: str, caller: str | None, **body: Any) -> RunResult:
    return env.run(execution_input({"prompt": prompt, **body}, None, caller))


def used(env: LocalEnvironment, caller: str, result: RunResult) -> int:
    item = env.dynamodb.get_item(
        TableName=TABLE_NAMES[DAILY_QUOTAS.env_var],
        Key={"quota_id": {"S": counter_id(caller, quota_day(result.started))}},
        ConsistentRead=True,
    ).get("Item", {})
    return int(item.get("used", {}).get("N", "0"))


def paid_calls(env: LocalEnvironment) -> list[str]:
    return [call["operation"] for call in env.service_calls() if any(p in call["operation"] for p in PAID)]


def test_a_caller_past_the_daily_quota_gets_429_with_retry_after_and_spends_nothing(env: LocalEnvironment):
    env.configure(DAILY_IMAGE_QUOTA="1")
    first = run(env, BENIGN, "user:alice", seed=1)
    assert first.http_status == 200
    assert used(env, "user:alice", first) == 1
    calls_before = len(paid_calls(env))

    second = run(env, BENIGN, "user:alice", seed=2)

    assert second.http_status == 429
    assert second.body["error"] == "QuotaExceeded"
    assert second.body["resets_at"].endswith("T00:00:00Z")
    assert "resets at" in second.body["message"]
    assert 0 < second.body["retry_after"] <= 86_400
    assert "GenerateImage" not in second.states and "CheckPromptToxicity" not in second.states
    assert len(paid_calls(env)) == calls_before
    # Another caller has a quota of their own.
    assert run(env, BENIGN, "user:bob", seed=3).http_status == 200


def test_refused_and_failed_requests_never_count_against_the_quota(env: LocalEnvironment):
    env.configure(DAILY_IMAGE_QUOTA="1")
    rejected = run(env, TOXIC, "user:carol")
    assert rejected.http_status == 422
    assert "RefundCallersQuota" in rejected.states
    assert used(env, "user:carol", rejected) == 0

    inject_fault(env.standins_url, "sagemaker", "error", count=5)
    failed = run(env, BENIGN, "user:carol")
    assert failed.http_status >= 500
    assert used(env, "user:carol", failed) == 0

    clear_faults(env.standins_url)
    assert run(env, BENIGN, "user:carol").http_status == 200


def test_a_public_api_has_no_quota_but_the_pause_switch_still_applies(env: LocalEnvironment):
    env.configure(DAILY_IMAGE_QUOTA="1")
    assert run(env, BENIGN, None, seed=1).http_status == 200
    assert run(env, BENIGN, None, seed=2).http_status == 200

    env.set_paused(True)
    paused = run(env, BENIGN, None)

    assert paused.http_status == 503
    assert paused.body["status"] == "PAUSED"
    assert "paused" in paused.body["message"]
    assert paused.body["retry_after"] > 0
    assert "ReserveGenerationPlace" not in paused.states


def test_a_paused_service_refuses_before_any_paid_call_and_resumes_at_once(env: LocalEnvironment):
    env.set_paused(True)
    calls_before = len(paid_calls(env))
    paused = run(env, BENIGN, "user:dave")
    assert paused.http_status == 503
    assert len(paid_calls(env)) == calls_before
    assert used(env, "user:dave", paused) == 0

    env.set_paused(False)
    assert run(env, BENIGN, "user:dave").http_status == 200
