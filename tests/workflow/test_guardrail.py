"""Amazon Bedrock Guardrails as a second opinion, through the real ASL: off, its states
are skipped by a Choice and nothing is called; on, ApplyGuardrail judges the English
prompt and the staged image, and an intervention is a rejection naming the filter."""

from __future__ import annotations

import pytest

from workflow.local.environment import LocalEnvironment
from workflow.standins.admin import inject_fault

BENIGN = "a jaguar in the Amazon rainforest"
GUARDRAIL_STATES = {"ApplyGuardrailToPrompt", "ApplyGuardrailToImage"}


def _guardrail_calls(env: LocalEnvironment) -> int:
    return len(env.service_calls("/guardrail/"))


@pytest.fixture
def guarded(env: LocalEnvironment) -> LocalEnvironment:
    env.use_guardrail("on")
    return env


def test_with_the_guardrail_off_its_states_are_skipped_and_nothing_is_called(env: LocalEnvironment):
    result = env.run({"prompt": BENIGN})

    assert result.http_status == 200, result.body
    assert not GUARDRAIL_STATES & set(result.states)
    assert {"IsGuardrailOnForPrompt", "IsGuardrailOnForImage"} <= set(result.states)
    assert _guardrail_calls(env) == 0


def test_with_the_guardrail_on_a_benign_request_passes_both_opinions(guarded: LocalEnvironment):
    result = guarded.run({"prompt": BENIGN})

    assert result.http_status == 200, result.body
    assert set(result.states) >= GUARDRAIL_STATES
    assert result.state("ApplyGuardrailToPrompt").output["prompt_check"]["guardrail_action"] == "NONE"
    assert result.state("ApplyGuardrailToImage").output["image_check"]["guardrail_action"] == "NONE"
    assert _guardrail_calls(guarded) == 2


def test_a_prompt_the_guardrail_blocks_is_refused_before_generation(guarded: LocalEnvironment):
    inject_fault(guarded.standins_url, "bedrock", "intervene", filter_type="MISCONDUCT")

    result = guarded.run({"prompt": BENIGN})

    assert (result.http_status, result.body["stage"]) == (422, "prompt"), result.body
    assert result.body["reason_code"] == "GUARDRAIL_INTERVENED"
    assert "MISCONDUCT" in result.body["reason"]
    assert guarded.dispatcher.calls_to("GenerateImage") == []


def test_an_image_the_guardrail_blocks_is_discarded_and_never_published(guarded: LocalEnvironment):
    # The prompt's call passes; the image's call is told to find sexual content.
    inject_fault(guarded.standins_url, "bedrock", "slow", delay_seconds=0.0)
    inject_fault(guarded.standins_url, "bedrock", "intervene", filter_type="SEXUAL")

    result = guarded.run({"prompt": BENIGN})

    assert (result.http_status, result.body["stage"]) == (422, "image"), result.body
    assert result.body["reason_code"] == "GUARDRAIL_INTERVENED" and "SEXUAL" in result.body["reason"]
    answered = result.states[: result.states.index("ImageRejected") + 1]
    assert answered[-3:] == ["IsImageAllowedByGuardrail", "DiscardRejectedImage", "ImageRejected"]
    assert guarded.keys("staging/") == [] and guarded.keys("generated_images/") == []


def test_a_throttled_guardrail_is_retried(guarded: LocalEnvironment, engine_clock):
    inject_fault(guarded.standins_url, "bedrock", "throttle", count=2)

    result = guarded.run({"prompt": BENIGN})

    assert result.http_status == 200, result.body
    assert result.state("ApplyGuardrailToPrompt").errors == ["GuardrailThrottled"]


def test_a_guardrail_that_keeps_failing_on_the_image_fails_closed(guarded: LocalEnvironment):
    inject_fault(guarded.standins_url, "bedrock", "slow", delay_seconds=0.0)
    inject_fault(guarded.standins_url, "bedrock", "error", count=100)

    result = guarded.run({"prompt": BENIGN})

    assert (result.http_status, result.body["error"]) == (502, "ModerationFailed"), result.body
    assert guarded.keys("staging/") == [] and guarded.keys("generated_images/") == []
