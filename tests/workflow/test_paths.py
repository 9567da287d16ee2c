"""The real ASL file, executed by moto's engine, through every path a request can take."""

from __future__ import annotations

import io

import pytest
import requests
from PIL import Image

from tests.conftest import ANSWER_END, FAILURE_END
from text2image.domain.taxonomy import MODERATION_CATEGORIES
from workflow.local.environment import LocalEnvironment
from workflow.standins.admin import inject_fault

BENIGN = "a jaguar in the Amazon rainforest"
TOXIC = "you are a worthless idiot and I will hurt you"
FRENCH = "un jaguar dans la forêt amazonienne au lever du soleil"

APPROVED_PATH = [
    "ReceiveRequest",
    "IsThereAnIdempotencyKey",
    "ReserveCallersQuota",
    "MayThisCallerGenerate",
    "ReserveGenerationPlace",
    "IsThereRoomForThisRun",
    "CheckPromptToxicity",
    "IsPromptSafe",
    "ReadGuardrailSetting",
    "IsGuardrailOnForPrompt",
    "AcquireGenerationSlot",
    "IsGenerationSlotAcquired",
    "GenerateImage",
    "ReleaseGenerationSlot",
    "ModerateImage",
    "IsImageSafe",
    "RecognizeCelebrities",
    "IsNoRealPersonRefused",
    "IsGuardrailOnForImage",
    "MarkProvenance",
    "StoreImage",
    "ImageApproved",
    *ANSWER_END,
]


def test_a_benign_prompt_is_approved_and_published_with_a_working_link(env: LocalEnvironment):
    result = env.run({"prompt": BENIGN, "seed": 42})

    assert result.status == "SUCCEEDED"
    assert result.http_status == 200
    assert result.states == APPROVED_PATH
    body = result.body
    assert (body["status"], body["seed"], body["width"], body["height"]) == ("APPROVED", 42, 1024, 1024)
    assert body["image_key"].startswith("generated_images/") and body["image_key"].endswith(".png")

    image = requests.get(body["image_url"], timeout=10)
    assert image.status_code == 200
    assert Image.open(io.BytesIO(image.content)).size == (1024, 1024)

    head = env.s3.head_object(Bucket=env.bucket, Key=body["image_key"])
    assert head["ContentType"] == "image/png"
    assert head["Metadata"]["execution-id"] == result.execution_arn
    assert head["Metadata"]["seed"] == "42"
    assert head["Metadata"]["model"] == body["model"]
    assert len(head["Metadata"]["prompt-sha256"]) == 64
    assert env.keys("staging/") == []


def test_a_toxic_prompt_is_rejected_before_any_image_is_generated(env: LocalEnvironment):
    result = env.run({"prompt": TOXIC})

    assert result.status == "SUCCEEDED"  # a rejection is an answer, not a failed execution
    assert result.http_status == 422
    assert result.states[-8:] == [
        "CheckPromptToxicity",
        "IsPromptSafe",
        "LeaveGenerationQueue",
        "PromptRejected",
        *ANSWER_END,
    ]
    assert result.body["stage"] == "prompt"
    assert result.body["reason_code"] == "TOXIC_PROMPT"
    assert result.body["labels"] and all(0 <= label["score"] <= 1 for label in result.body["labels"])
    assert env.dispatcher.calls_to("GenerateImage") == []


def test_a_non_english_prompt_is_rejected_instead_of_being_scored_as_english(env: LocalEnvironment):
    result = env.run({"prompt": FRENCH})

    assert result.http_status == 422
    assert result.body["stage"] == "prompt"
    assert result.body["reason_code"] == "UNSUPPORTED_LANGUAGE"
    assert "'fr'" in result.body["reason"]
    assert env.dispatcher.calls_to("GenerateImage") == []


def test_an_unsafe_image_is_rejected_and_its_staged_object_deleted(env: LocalEnvironment):
    inject_fault(env.standins_url, "rekognition", "flag")
    result = env.run({"prompt": BENIGN})

    assert result.http_status == 422
    assert result.states[-7:] == ["IsImageSafe", "DiscardRejectedImage", "ImageRejected", *ANSWER_END]
    assert result.body["stage"] == "image"
    assert result.body["reason_code"] == "UNSAFE_IMAGE"
    assert any(label["name"] == "Explicit" for label in result.body["labels"])
    assert env.dispatcher.calls_to("StoreImage") == []
    assert env.keys("staging/") == []
    assert env.keys("generated_images/") == [] or result.execution_arn not in str(
        env.keys("generated_images/")
    )


def test_a_rejected_image_can_be_kept_in_quarantine_instead(env: LocalEnvironment):
    env.configure(REJECTED_IMAGE_ACTION="quarantine")
    inject_fault(env.standins_url, "rekognition", "flag")
    result = env.run({"prompt": BENIGN})

    assert result.body["stage"] == "image"
    assert env.keys("staging/") == []
    quarantined = env.keys("quarantine/")
    assert quarantined == [result.state("DiscardRejectedImage").output["discard"]["quarantine_key"]]


def test_blocked_categories_are_configurable(env: LocalEnvironment):
    # The forced label is Explicit; an operator who blocks only Violence lets it through.
    env.configure(BLOCKED_CATEGORIES="Violence")
    inject_fault(env.standins_url, "rekognition", "flag")
    result = env.run({"prompt": BENIGN})

    assert result.http_status == 200
    assert result.state("ModerateImage").output["image_check"]["labels"]


def test_swimwear_blocks_only_where_the_operator_blocks_it(env: LocalEnvironment):
    inject_fault(env.standins_url, "rekognition", "flag", label="Female Swimwear or Underwear", confidence=90)
    result = env.run({"prompt": BENIGN})
    # By default every model-7 category blocks, swimwear included.
    assert (result.http_status, result.body["stage"]) == (422, "image")

    env.configure(
        BLOCKED_CATEGORIES=",".join(c for c in MODERATION_CATEGORIES if c != "Swimwear or Underwear")
    )
    inject_fault(env.standins_url, "rekognition", "flag", label="Female Swimwear or Underwear", confidence=90)
    result = env.run({"prompt": BENIGN})
    assert result.http_status == 200
    labels = result.state("ModerateImage").output["image_check"]["labels"]
    assert ("Swimwear or Underwear", None) in [(label["name"], label.get("parent")) for label in labels]

    inject_fault(env.standins_url, "rekognition", "flag", label="Exposed Female Genitalia")
    result = env.run({"prompt": BENIGN})
    assert (result.http_status, result.body["reason_code"]) == (422, "UNSAFE_IMAGE")


def test_a_throttled_endpoint_is_retried_once_with_backoff_and_then_succeeds(
    env: LocalEnvironment, engine_clock
):
    inject_fault(env.standins_url, "sagemaker", "throttle", count=1)
    result = env.run({"prompt": BENIGN})

    assert result.http_status == 200
    generate = result.state("GenerateImage")
    assert generate.attempts == 2
    assert generate.errors == ["EndpointThrottled"]
    assert len(engine_clock.sleeps) == 1 and 0 <= engine_clock.sleeps[0] <= 2


def test_generation_is_retried_at_most_once(env: LocalEnvironment):
    inject_fault(env.standins_url, "sagemaker", "throttle", count=5)
    result = env.run({"prompt": BENIGN})

    assert result.body["error"] == "Busy"
    assert result.state("GenerateImage").attempts == 2


def test_an_endpoint_that_fails_for_good_ends_in_generation_failed_with_nothing_left_behind(
    env: LocalEnvironment,
):
    inject_fault(env.standins_url, "sagemaker", "error", count=5)
    result = env.run({"prompt": BENIGN})

    assert result.status == "FAILED"
    assert result.http_status == 502
    assert result.body["error"] == "GenerationFailed"
    assert result.state("GenerateImage").attempts == 1  # a model error is not retried
    assert result.states[-7:] == [
        "DiscardImageAfterGenerationError",
        "WhyDidGenerationFail",
        "GenerationFailed",
        *FAILURE_END,
    ]
    assert env.keys("staging/") == []
    assert env.keys("generated_images/") == []


def test_a_storage_failure_ends_in_storage_failed_and_publishes_nothing(env: LocalEnvironment):
    env.configure("StoreImage", IMAGE_BUCKET="text2image-bucket-that-does-not-exist")
    result = env.run({"prompt": BENIGN})

    assert result.http_status == 502
    assert result.body["error"] == "StorageFailed"
    assert result.states[-6:] == ["DiscardImageAfterStorageError", "StorageFailed", *FAILURE_END]
    assert env.keys("staging/") == []
    assert env.keys("generated_images/") == []


def test_a_moderation_failure_ends_in_moderation_failed_and_discards_the_image(env: LocalEnvironment):
    # Enough for every attempt, each of which makes two SDK calls.
    inject_fault(env.standins_url, "rekognition", "error", count=100)
    result = env.run({"prompt": BENIGN})

    assert result.http_status == 502
    assert result.body["error"] == "ModerationFailed"
    assert result.state("ModerateImage").attempts == 4  # three retries of a transient error
    assert env.keys("staging/") == []
    # The SDK retries once inside each attempt, no more: 4 attempts, 8 calls.
    (pending,) = requests.get(f"{env.standins_url}/_admin/faults", timeout=10).json()["rekognition"]
    assert 100 - pending["remaining"] == 8


@pytest.mark.parametrize(
    "request_body",
    [
        {"prompt": ""},
        {"prompt": "   \n "},
        {"prompt": "x" * 1001},
        {"prompt": BENIGN, "negative_prompt": "y" * 1001},
        {"prompt": BENIGN, "size": "333x333"},
        {"negative_prompt": "no prompt at all"},
    ],
    ids=["empty", "blank", "oversized", "oversized-negative", "bad-size", "missing"],
)
def test_an_invalid_request_is_refused_with_400_before_any_service_is_called(
    env: LocalEnvironment, request_body
):
    result = env.run(request_body)

    assert result.status == "FAILED"
    assert result.http_status == 400
    assert result.body["error"] == "InvalidRequest"
    assert result.states[-7:] == [
        "CheckPromptToxicity",
        "LeaveGenerationQueueAfterInvalidRequest",
        "RequestInvalid",
        *FAILURE_END,
    ]
    assert result.state("CheckPromptToxicity").attempts == 1  # never retried
    assert env.dispatcher.calls_to("GenerateImage") == []


def test_failures_tell_the_caller_nothing_internal(env: LocalEnvironment):
    inject_fault(env.standins_url, "sagemaker", "error", count=5)
    result = env.run({"prompt": BENIGN})

    exposed = f"{result.error} {result.cause} {result.body}"
    for internal in ("Traceback", "stackTrace", ".py", "ModelError", "text2image.", "arn:aws:lambda"):
        assert internal not in exposed


def test_no_state_ever_carries_image_bytes(env: LocalEnvironment):
    result = env.run({"prompt": BENIGN})

    assert result.http_status == 200
    largest = max(len(str(record.input)) + len(str(record.output)) for record in result.history)
    assert largest < 8_000  # a 1024x1024 PNG in base64 would be hundreds of KB
