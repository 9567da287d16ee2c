"""The Rekognition stand-in through a real boto3 client, with S3Object input
read from moto's S3."""

from __future__ import annotations

import base64
import io

import pytest
import requests
from botocore.exceptions import ClientError
from PIL import Image

from workflow.standins.admin import inject_fault


def encoded(image: Image.Image, image_format: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=image_format)
    return buffer.getvalue()


SCENE = Image.linear_gradient("L").resize((320, 240)).convert("RGB")


def error_code(error: pytest.ExceptionInfo[ClientError]) -> str:
    return error.value.response["Error"]["Code"]


def test_a_benign_image_has_no_moderation_labels(rekognition):
    response = rekognition.detect_moderation_labels(Image={"Bytes": encoded(SCENE)})

    assert response["ModerationLabels"] == []
    assert response["ModerationModelVersion"] == "7.0"


def test_min_confidence_filters_the_models_own_score(rekognition):
    # Below any threshold, the Explicit branch carries the model's real score.
    labels = rekognition.detect_moderation_labels(Image={"Bytes": encoded(SCENE)}, MinConfidence=0)[
        "ModerationLabels"
    ]
    assert [(label["Name"], label["ParentName"], label["TaxonomyLevel"]) for label in labels] == [
        ("Explicit", "", 1),
        ("Explicit Nudity", "Explicit", 2),
    ]
    score = labels[0]["Confidence"]
    assert 0 <= score < 50
    assert (
        rekognition.detect_moderation_labels(Image={"Bytes": encoded(SCENE)}, MinConfidence=score + 0.5)[
            "ModerationLabels"
        ]
        == []
    )


def test_a_flagged_image_gets_the_explicit_branch_at_99(standins, rekognition):
    inject_fault(standins.standins_url, "rekognition", "flag")

    labels = rekognition.detect_moderation_labels(Image={"Bytes": encoded(SCENE)})["ModerationLabels"]
    assert {label["Name"]: label["Confidence"] for label in labels} == {
        "Explicit": 99.0,
        "Explicit Nudity": 99.0,
    }
    # One call only: the next image is scored by the model again.
    assert rekognition.detect_moderation_labels(Image={"Bytes": encoded(SCENE)})["ModerationLabels"] == []


def test_jpeg_is_accepted_and_other_formats_are_not(rekognition):
    assert (
        rekognition.detect_moderation_labels(Image={"Bytes": encoded(SCENE, "JPEG")})["ModerationLabels"]
        == []
    )
    for image_format in ("GIF", "BMP"):
        with pytest.raises(rekognition.exceptions.InvalidImageFormatException):
            rekognition.detect_moderation_labels(Image={"Bytes": encoded(SCENE, image_format)})
    with pytest.raises(rekognition.exceptions.InvalidImageFormatException):
        rekognition.detect_moderation_labels(Image={"Bytes": b"\x89PNG\r\n\x1a\nnot really"})


@pytest.mark.parametrize("size", [(79, 200), (200, 79)])
def test_each_side_must_be_at_least_80_pixels(rekognition, size):
    assert rekognition.detect_moderation_labels(Image={"Bytes": encoded(SCENE.resize((80, 80)))})
    with pytest.raises(ClientError) as error:
        rekognition.detect_moderation_labels(Image={"Bytes": encoded(SCENE.resize(size))})
    assert error_code(error) == "InvalidParameterException"


def test_raw_bytes_are_limited_to_5_mb(rekognition):
    too_large = encoded(SCENE) + b"\0" * (5 * 1024 * 1024)
    with pytest.raises(rekognition.exceptions.ImageTooLargeException):
        rekognition.detect_moderation_labels(Image={"Bytes": too_large})


def test_min_confidence_must_be_between_0_and_100(rekognition):
    with pytest.raises(rekognition.exceptions.InvalidParameterException):
        rekognition.detect_moderation_labels(Image={"Bytes": encoded(SCENE)}, MinConfidence=101)


def test_an_s3_object_is_read_from_the_local_s3(standins, rekognition):
    standins.s3.put_object(Bucket=standins.bucket, Key="staging/scene.png", Body=encoded(SCENE))
    inject_fault(standins.standins_url, "rekognition", "flag")

    response = rekognition.detect_moderation_labels(
        Image={"S3Object": {"Bucket": standins.bucket, "Name": "staging/scene.png"}}
    )
    assert response["ModerationLabels"][0]["Name"] == "Explicit"
    standins.s3.delete_object(Bucket=standins.bucket, Key="staging/scene.png")


def test_a_missing_s3_object_is_an_invalid_s3_object(standins, rekognition):
    with pytest.raises(rekognition.exceptions.InvalidS3ObjectException):
        rekognition.detect_moderation_labels(
            Image={"S3Object": {"Bucket": standins.bucket, "Name": "staging/missing.png"}}
        )


def test_an_s3_object_is_limited_to_15_mb(standins, rekognition):
    key = "staging/huge.png"
    standins.s3.put_object(Bucket=standins.bucket, Key=key, Body=encoded(SCENE) + b"\0" * (15 * 1024 * 1024))
    try:
        with pytest.raises(rekognition.exceptions.ImageTooLargeException):
            rekognition.detect_moderation_labels(Image={"S3Object": {"Bucket": standins.bucket, "Name": key}})
    finally:
        standins.s3.delete_object(Bucket=standins.bucket, Key=key)


def test_an_image_needs_exactly_one_source(standins):
    response = requests.post(
        standins.standins_url,
        json={
            "Image": {
                "Bytes": base64.b64encode(encoded(SCENE)).decode(),
                "S3Object": {"Bucket": "b", "Name": "k"},
            }
        },
        headers={"X-Amz-Target": "RekognitionService.DetectModerationLabels"},
        timeout=10,
    )
    assert (response.status_code, response.json()["__type"]) == (400, "InvalidParameterException")
