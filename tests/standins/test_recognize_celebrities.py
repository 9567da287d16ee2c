"""The RecognizeCelebrities stand-in through a real boto3 Rekognition client: the real
shape, no one recognised unless injected, Rekognition's image checks and faults."""

from __future__ import annotations

import io

import pytest
import requests
from botocore.exceptions import ClientError
from PIL import Image

from workflow.standins.admin import inject_fault

SCENE = Image.linear_gradient("L").resize((320, 240)).convert("RGB")


def png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def test_no_one_is_recognised_without_an_injection(rekognition):
    response = rekognition.recognize_celebrities(Image={"Bytes": png(SCENE)})

    assert (response["CelebrityFaces"], response["UnrecognizedFaces"]) == ([], [])


def test_an_injected_celebrity_comes_back_in_rekognitions_shape_on_the_next_call_only(rekognition, standins):
    inject_fault(
        standins.standins_url, "rekognition", "celebrity", name="Jane Example", match_confidence=97.5
    )

    (face,) = rekognition.recognize_celebrities(Image={"Bytes": png(SCENE)})["CelebrityFaces"]

    assert (face["Name"], face["MatchConfidence"], face["Urls"]) == ("Jane Example", 97.5, [])
    assert len(face["Id"]) == 8 and face["KnownGender"]["Type"]
    box = face["Face"]["BoundingBox"]
    assert all(0.0 <= box[side] <= 1.0 for side in ("Width", "Height", "Left", "Top"))
    assert 0.0 <= face["Face"]["Confidence"] <= 100.0
    assert rekognition.recognize_celebrities(Image={"Bytes": png(SCENE)})["CelebrityFaces"] == []


def test_a_celebrity_injection_does_not_touch_moderation_and_a_flag_not_celebrities(rekognition, standins):
    inject_fault(standins.standins_url, "rekognition", "celebrity")
    inject_fault(standins.standins_url, "rekognition", "flag")

    labels = rekognition.detect_moderation_labels(Image={"Bytes": png(SCENE)})["ModerationLabels"]
    faces = rekognition.recognize_celebrities(Image={"Bytes": png(SCENE)})["CelebrityFaces"]

    assert "Explicit Nudity" in [label["Name"] for label in labels]
    assert [face["Name"] for face in faces] == ["Jane Example"]


def test_a_fault_scoped_to_recognize_celebrities_leaves_moderation_alone(rekognition, standins):
    inject_fault(standins.standins_url, "rekognition", "throttle", operation="RecognizeCelebrities")

    rekognition.detect_moderation_labels(Image={"Bytes": png(SCENE)})
    with pytest.raises(ClientError) as raised:
        rekognition.recognize_celebrities(Image={"Bytes": png(SCENE)})
    assert raised.value.response["Error"]["Code"] == "ProvisionedThroughputExceededException"


@pytest.mark.parametrize(
    ("image", "code"),
    [
        ({"Bytes": b"GIF89a not an image"}, "InvalidImageFormatException"),
        ({"Bytes": png(SCENE.resize((40, 40)))}, "InvalidParameterException"),
        ({"S3Object": {"Bucket": "no-such-bucket", "Name": "x.png"}}, "InvalidS3ObjectException"),
    ],
)
def test_images_are_checked_as_rekognition_checks_them(rekognition, image, code):
    with pytest.raises(ClientError) as raised:
        rekognition.recognize_celebrities(Image=image)
    assert raised.value.response["Error"]["Code"] == code


@pytest.mark.parametrize(
    "fault",
    [
        {"service": "comprehend", "kind": "celebrity"},
        {"service": "rekognition", "kind": "celebrity", "operation": "DetectModerationLabels"},
        {"service": "rekognition", "kind": "throttle", "operation": "DetectSentiment"},
        {"service": "rekognition", "kind": "celebrity", "match_confidence": 101},
    ],
)
def test_a_bad_celebrity_fault_is_refused(standins, fault):
    response = requests.post(f"{standins.standins_url}/_admin/faults", json=fault, timeout=10)
    assert response.status_code == 400
