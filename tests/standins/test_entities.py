"""The DetectEntities stand-in, through a real boto3 Comprehend client."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from workflow.standins.admin import inject_fault


def test_named_people_come_back_as_person_entities_with_their_offsets(comprehend):
    text = "a portrait of Barack Obama shaking hands in Paris"

    entities = comprehend.detect_entities(Text=text, LanguageCode="en")["Entities"]

    person = next(entity for entity in entities if entity["Type"] == "PERSON")
    assert person["Text"] == "Barack Obama"
    assert text[person["BeginOffset"] : person["EndOffset"]] == "Barack Obama"
    assert 0.0 < person["Score"] <= 1.0
    assert {"Text": "Paris", "Type": "LOCATION"}.items() <= next(
        entity for entity in entities if entity["Text"] == "Paris"
    ).items()


def test_a_prompt_without_names_has_no_person(comprehend):
    entities = comprehend.detect_entities(Text="a red fox in the snow at dawn", LanguageCode="en")["Entities"]
    assert [entity for entity in entities if entity["Type"] == "PERSON"] == []


@pytest.mark.parametrize(
    ("arguments", "code"),
    [
        ({"Text": "x" * 100_001, "LanguageCode": "en"}, "TextSizeLimitExceededException"),
        ({"Text": "Ana en Madrid", "LanguageCode": "es"}, "UnsupportedLanguageException"),
    ],
)
def test_limits_and_languages_are_refused_as_comprehend_does(comprehend, arguments, code):
    with pytest.raises(ClientError) as raised:
        comprehend.detect_entities(**arguments)
    assert raised.value.response["Error"]["Code"] == code


def test_comprehend_faults_apply_to_detect_entities(comprehend, standins):
    inject_fault(standins.standins_url, "comprehend", "throttle")
    with pytest.raises(ClientError) as raised:
        comprehend.detect_entities(Text="Ada Lovelace", LanguageCode="en")
    assert raised.value.response["Error"]["Code"] == "TooManyRequestsException"
