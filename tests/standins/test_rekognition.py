"""The Rekognition stand-in through a real boto3 client, with S3Object input
read from moto's S3."""

from __future__ import annotations

import base64
import io

import pytest
import requests
from botocore.exceptions import ClientError
from PIL import Image
from sklearn.datasets import load_sample_images

from tests.standins.figures import BARE_CHEST, IN_A_BIKINI_FROM_BEHIND, IN_BRIEFS, Figure
from text2image.domain.taxonomy import LEVEL2_PARENTS, MODERATION_CATEGORIES
from workflow.standins.admin import inject_fault
from workflow.standins.moderation_taxonomy import PARENTS, TOP_LEVEL, level, moderation_labels


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


def names(labels: list[dict]) -> list[tuple[str, str, int]]:
    return [(label["Name"], label["ParentName"], label["TaxonomyLevel"]) for label in labels]


# What NudeNet really finds in each drawn figure, answered in the model-7 taxonomy.
DETECTED = {
    "bare chest": (
        BARE_CHEST,
        [
            ("Explicit", "", 1),
            ("Explicit Nudity", "Explicit", 2),
            ("Exposed Female Nipple", "Explicit Nudity", 3),
        ],
    ),
    "in a bikini, from behind": (
        IN_A_BIKINI_FROM_BEHIND,
        [
            ("Non-Explicit Nudity of Intimate parts and Kissing", "", 1),
            ("Non-Explicit Nudity", "Non-Explicit Nudity of Intimate parts and Kissing", 2),
            ("Partially Exposed Buttocks", "Non-Explicit Nudity", 3),
        ],
    ),
    "in briefs": (
        IN_BRIEFS,
        [("Swimwear or Underwear", "", 1), ("Female Swimwear or Underwear", "Swimwear or Underwear", 2)],
    ),
}


@pytest.mark.parametrize("figure, expected", DETECTED.values(), ids=DETECTED.keys())
def test_the_body_part_detector_labels_a_drawn_figure_with_its_parents(
    rekognition, figure: Figure, expected: list[tuple[str, str, int]]
):
    labels = rekognition.detect_moderation_labels(Image={"Bytes": encoded(figure.draw())})["ModerationLabels"]

    assert names(labels) == expected
    # A parent is as confident as its most confident child, as Rekognition answers.
    assert len({label["Confidence"] for label in labels}) == 1
    assert 60 <= labels[0]["Confidence"] < 100


def test_three_top_level_categories_are_detected_on_drawn_figures_and_none_on_photographs(rekognition):
    found = set()
    for figure, _ in DETECTED.values():
        labels = rekognition.detect_moderation_labels(Image={"Bytes": encoded(figure.draw())})[
            "ModerationLabels"
        ]
        found |= {label["Name"] for label in labels if label["TaxonomyLevel"] == 1}
    assert found == {"Explicit", "Non-Explicit Nudity of Intimate parts and Kissing", "Swimwear or Underwear"}

    # scikit-learn's two sample photographs (a temple, a flower) have no person in them.
    for photograph in load_sample_images().images:
        image = Image.fromarray(photograph)
        assert (
            rekognition.detect_moderation_labels(Image={"Bytes": encoded(image, "JPEG")})["ModerationLabels"]
            == []
        )


def test_min_confidence_leaves_out_each_label_under_it(rekognition):
    image = encoded(IN_BRIEFS.draw())
    confidence = rekognition.detect_moderation_labels(Image={"Bytes": image})["ModerationLabels"][0][
        "Confidence"
    ]

    assert rekognition.detect_moderation_labels(Image={"Bytes": image}, MinConfidence=confidence)[
        "ModerationLabels"
    ]
    assert (
        rekognition.detect_moderation_labels(Image={"Bytes": image}, MinConfidence=confidence + 0.5)[
            "ModerationLabels"
        ]
        == []
    )


@pytest.mark.parametrize(
    "label, expected",
    [
        (
            "Blood & Gore",
            [
                ("Violence", "", 1),
                ("Graphic Violence", "Violence", 2),
                ("Blood & Gore", "Graphic Violence", 3),
            ],
        ),
        ("Middle Finger", [("Rude Gestures", "", 1), ("Middle Finger", "Rude Gestures", 2)]),
        ("Gambling", [("Gambling", "", 1)]),
    ],
)
def test_a_flag_injects_any_model_7_label_with_its_parents(standins, rekognition, label, expected):
    inject_fault(standins.standins_url, "rekognition", "flag", label=label, confidence=87.5)

    labels = rekognition.detect_moderation_labels(Image={"Bytes": encoded(SCENE)})["ModerationLabels"]
    assert names(labels) == expected
    assert {label["Confidence"] for label in labels} == {87.5}


def test_an_injected_label_joins_what_the_detector_finds(standins, rekognition):
    inject_fault(standins.standins_url, "rekognition", "flag", label="Weapons")

    labels = rekognition.detect_moderation_labels(Image={"Bytes": encoded(IN_BRIEFS.draw())})[
        "ModerationLabels"
    ]
    assert {label["Name"] for label in labels if label["TaxonomyLevel"] == 1} == {
        "Violence",
        "Swimwear or Underwear",
    }


def test_a_flag_with_a_label_outside_model_7_is_refused(standins):
    response = requests.post(
        f"{standins.standins_url}/_admin/faults",
        json={"service": "rekognition", "kind": "flag", "label": "Suggestive"},  # a model-6 label
        timeout=10,
    )
    assert (response.status_code, response.json()["__type"]) == (400, "InvalidParameterException")


def test_labels_are_ordered_by_confidence_parent_first_and_filtered_one_by_one():
    evidence = {"Exposed Male Nipple": 70.0, "Weapons": 90.0, "Partially Exposed Buttocks": 40.0}

    assert [(label["Name"], label["Confidence"]) for label in moderation_labels(evidence, 50)] == [
        ("Violence", 90.0),
        ("Weapons", 90.0),
        ("Non-Explicit Nudity of Intimate parts and Kissing", 70.0),
        ("Non-Explicit Nudity", 70.0),
        ("Exposed Male Nipple", 70.0),
    ]


def test_the_stand_ins_taxonomy_agrees_with_the_one_the_moderation_handler_reads():
    assert TOP_LEVEL == MODERATION_CATEGORIES
    second_level = {name: parent for name, parent in PARENTS.items() if level(name) == 2}
    assert second_level == dict(LEVEL2_PARENTS)


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
