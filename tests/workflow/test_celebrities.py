"""The people rule on the generated image, through the real ASL: RecognizeCelebrities runs
after moderation, its outcome is in the history, and a refused image is discarded,
never published, with the rule and the person named."""

from __future__ import annotations

from tests.conftest import ANSWER_END
from text2image.domain.taxonomy import MODERATION_CATEGORIES
from workflow.local.environment import LocalEnvironment
from workflow.standins.admin import inject_fault

BENIGN = "a jaguar in the Amazon rainforest"
# A harmful word of the policy's people list, and no named person for DetectEntities to find.
HARMFUL = "a politician humiliated on a stage"
STAR = "Jane Example"


def _celebrity_calls(env: LocalEnvironment) -> int:
    return sum(1 for call in env.service_calls() if call["operation"].endswith("RecognizeCelebrities"))


def _nothing_left_behind(env: LocalEnvironment, result) -> None:
    assert env.keys("staging/") == []
    assert env.keys("generated_images/") == []
    assert env.dispatcher.calls_to("StoreImage") == []


def test_an_image_with_no_celebrity_is_approved_after_the_people_rule(env: LocalEnvironment):
    env.configure(PEOPLE_POLICY="refuse")

    result = env.run({"prompt": BENIGN})

    assert result.http_status == 200, result.body
    expected = [
        "IsImageSafe",
        "RecognizeCelebrities",
        "IsNoRealPersonRefused",
        "IsGuardrailOnForImage",
        "MarkProvenance",
        "StoreImage",
        "ImageApproved",
        *ANSWER_END,
    ]
    assert result.states[-len(expected) :] == expected
    check = result.state("RecognizeCelebrities").output["image_check"]
    assert (check["safe"], check["celebrities_checked"], check["celebrities"]) == (True, True, [])
    assert _celebrity_calls(env) == 1
    assert env.keys("staging/") == []


def test_a_recognised_celebrity_under_refuse_is_rejected_and_discarded(env: LocalEnvironment):
    env.configure(PEOPLE_POLICY="refuse")
    inject_fault(env.standins_url, "rekognition", "celebrity", name=STAR, match_confidence=98.5)

    result = env.run({"prompt": BENIGN})

    assert (result.status, result.http_status) == ("SUCCEEDED", 422), result.body
    expected = [
        "RecognizeCelebrities",
        "IsNoRealPersonRefused",
        "DiscardRejectedImage",
        "ImageRejected",
        *ANSWER_END,
    ]
    assert result.states[-len(expected) :] == expected
    body = result.body
    assert (body["stage"], body["reason_code"]) == ("image", "REAL_PERSON")
    assert "people.refuse" in body["reason"] and f"'{STAR}' (98% match)" in body["reason"]
    check = result.state("RecognizeCelebrities").output["image_check"]
    assert check["rule"] == "people.refuse" and check["celebrities"][0]["name"] == STAR
    assert check["policy_version"]
    _nothing_left_behind(env, result)


def test_a_recognised_celebrity_under_allow_is_approved_without_asking_rekognition(env: LocalEnvironment):
    env.configure(PEOPLE_POLICY="allow")
    inject_fault(env.standins_url, "rekognition", "celebrity", name=STAR)

    result = env.run({"prompt": HARMFUL})

    assert result.http_status == 200, result.body
    assert result.state("RecognizeCelebrities").output["image_check"]["celebrities_checked"] is False
    assert _celebrity_calls(env) == 0


def test_a_celebrity_below_the_minimum_confidence_does_not_count(env: LocalEnvironment):
    env.configure(PEOPLE_POLICY="refuse", CELEBRITY_MIN_CONFIDENCE="95")
    inject_fault(env.standins_url, "rekognition", "celebrity", name=STAR, match_confidence=94)

    result = env.run({"prompt": BENIGN})

    assert result.http_status == 200, result.body
    check = result.state("RecognizeCelebrities").output["image_check"]
    assert (check["celebrities_checked"], check["celebrities"]) == (True, [])


def test_refuse_harmful_asks_rekognition_only_when_something_is_harmful(env: LocalEnvironment):
    # The default setting: a benign prompt and a clean image cost no RecognizeCelebrities call.
    inject_fault(env.standins_url, "rekognition", "celebrity", name=STAR)
    result = env.run({"prompt": BENIGN})
    assert result.http_status == 200, result.body
    assert result.state("RecognizeCelebrities").output["image_check"]["celebrities_checked"] is False
    assert _celebrity_calls(env) == 0


def test_refuse_harmful_refuses_a_celebrity_drawn_from_a_prompt_with_harmful_words(env: LocalEnvironment):
    inject_fault(env.standins_url, "rekognition", "celebrity", name=STAR)

    result = env.run({"prompt": HARMFUL})

    assert (result.http_status, result.body["reason_code"]) == (422, "REAL_PERSON"), result.body
    assert "people.refuse-harmful" in result.body["reason"]
    assert f"'{STAR}'" in result.body["reason"] and "'humiliated'" in result.body["reason"]
    _nothing_left_behind(env, result)


def test_refuse_harmful_refuses_a_celebrity_in_underwear_the_operator_lets_through(env: LocalEnvironment):
    env.configure(
        BLOCKED_CATEGORIES=",".join(c for c in MODERATION_CATEGORIES if c != "Swimwear or Underwear")
    )
    inject_fault(env.standins_url, "rekognition", "flag", label="Female Swimwear or Underwear", confidence=90)
    inject_fault(env.standins_url, "rekognition", "celebrity", name=STAR)

    result = env.run({"prompt": BENIGN})

    assert (result.http_status, result.body["reason_code"]) == (422, "REAL_PERSON"), result.body
    assert "'Female Swimwear or Underwear'" in result.body["reason"]
    _nothing_left_behind(env, result)

    # The same image without a recognised person is published.
    inject_fault(env.standins_url, "rekognition", "flag", label="Female Swimwear or Underwear", confidence=90)
    assert env.run({"prompt": BENIGN}).http_status == 200


def test_a_throttled_celebrity_check_is_retried_with_backoff(env: LocalEnvironment, engine_clock):
    env.configure(PEOPLE_POLICY="refuse")
    # Two throttled calls: the Lambda's one SDK retry, then the state machine's Retry.
    inject_fault(env.standins_url, "rekognition", "throttle", count=2, operation="RecognizeCelebrities")

    result = env.run({"prompt": BENIGN})

    assert result.http_status == 200, result.body
    recognize = result.state("RecognizeCelebrities")
    assert (recognize.attempts, recognize.errors) == (2, ["RekognitionThrottled"])
    assert result.state("ModerateImage").attempts == 1
    assert len(engine_clock.sleeps) == 1


def test_a_celebrity_check_that_keeps_failing_fails_closed_and_discards_the_image(env: LocalEnvironment):
    env.configure(PEOPLE_POLICY="refuse")
    inject_fault(env.standins_url, "rekognition", "error", count=100, operation="RecognizeCelebrities")

    result = env.run({"prompt": BENIGN})

    assert (result.http_status, result.body["error"]) == (502, "ModerationFailed"), result.body
    assert result.state("RecognizeCelebrities").attempts == 4
    _nothing_left_behind(env, result)
