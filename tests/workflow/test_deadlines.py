"""Deadlines that hold: a generation out of time is a 504, a saturated endpoint a
503 with Retry-After, and no staged image outlives its run."""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest

from tests.conftest import ANSWER_END, FAILURE_END, endpoint_answers, wait_for_endpoint_answers
from text2image.errors import GenerationTimedOut
from workflow.local.environment import LocalEnvironment
from workflow.local.lambda_dispatch import LambdaDispatcher, LocalLambdaContext
from workflow.standins.admin import inject_fault

BENIGN = "a jaguar in the Amazon rainforest"


def test_a_generation_slower_than_its_deadline_answers_504_and_leaves_nothing_staged(env: LocalEnvironment):
    # A 5 s function keeps 3 s for staging: the endpoint call may take 2 s, and this one takes 4.
    env.dispatcher.set_function_timeout("GenerateImage", 5)
    inject_fault(env.standins_url, "sagemaker", "slow", delay_seconds=4)
    answered = endpoint_answers(env)
    started = time.monotonic()
    result = env.run({"prompt": BENIGN})

    assert time.monotonic() - started < 5
    assert result.status == "FAILED"
    assert result.http_status == 504
    assert result.body["error"] == "GenerationTimedOut"
    assert result.state("GenerateImage").attempts == 1  # out of time is not retried
    assert result.states[-7:] == [
        "DiscardImageAfterGenerationError",
        "WhyDidGenerationFail",
        "GenerationTimedOut",
        *FAILURE_END,
    ]
    wait_for_endpoint_answers(env, answered + 1)  # its late answer must land nowhere
    assert env.keys("staging/") == []


def test_a_handler_whose_deadline_passes_during_generation_stages_nothing(env: LocalEnvironment):
    handler = env.dispatcher.loaded_handler("GenerateImage")
    remaining = iter([20_000, 1_000])  # plenty before the endpoint call, too little after it
    context = SimpleNamespace(
        function_name="GenerateImage",
        invoked_function_arn="arn:aws:lambda:us-east-1:123456789012:function:GenerateImage",
        memory_limit_in_mb=512,
        function_version="$LATEST",
        aws_request_id="req-1",
        get_remaining_time_in_millis=lambda: next(remaining),
    )
    event = {
        "request": {"prompt": BENIGN, "seed": 1},
        "checked_prompts": {"prompt": BENIGN},
        "execution_id": "arn:aws:states:::execution:x:late",
    }

    with pytest.raises(GenerationTimedOut):
        handler(event, context)
    assert env.keys("staging/") == []


def test_an_endpoint_still_throttled_after_the_retries_is_busy_with_retry_after(env: LocalEnvironment):
    inject_fault(env.standins_url, "sagemaker", "throttle", count=5)
    result = env.run({"prompt": BENIGN})

    assert result.status == "SUCCEEDED"  # busy is an answer, not a broken model
    assert result.http_status == 503
    assert result.body["status"] == "BUSY" and result.body["error"] == "Busy"
    assert result.body["retry_after"] > 0
    assert result.states[-7:] == [
        "DiscardImageAfterGenerationError",
        "WhyDidGenerationFail",
        "EndpointBusy",
        *ANSWER_END,
    ]
    assert env.keys("staging/") == []


def test_the_local_dispatcher_stops_waiting_at_the_functions_deadline():
    context = LocalLambdaContext(function_name="f", invoked_function_arn="arn", timeout_seconds=0.3)
    assert 0 < context.get_remaining_time_in_millis() <= 300

    def sleeps_past_its_deadline(event, ctx):
        time.sleep(1)
        return {"late": True}

    started = time.monotonic()
    outcome = LambdaDispatcher._run_until_deadline(sleeps_past_its_deadline, {}, context)
    assert time.monotonic() - started < 0.8
    assert not isinstance(outcome, dict)  # the caller got no result, only the timeout
    assert context.get_remaining_time_in_millis() == 0


def test_a_scaled_to_zero_endpoint_is_busy_for_longer_not_a_failed_generation(env: LocalEnvironment):
    # The runtime refuses with a ValidationError while the inference component has no copy.
    inject_fault(env.standins_url, "sagemaker", "unavailable")
    result = env.run({"prompt": BENIGN})

    assert result.status == "SUCCEEDED"
    assert result.http_status == 503
    assert result.body["status"] == "BUSY" and result.body["retry_after"] >= 300
    assert result.states[-6:] == ["WhyDidGenerationFail", "EndpointStarting", *ANSWER_END]
    assert len(env.service_calls("/endpoints/")) == 1  # refused once, not retried inside the run
    assert env.keys("staging/") == []
