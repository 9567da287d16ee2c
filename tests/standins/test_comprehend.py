"""The Comprehend stand-in through a real boto3 client."""

from __future__ import annotations

import pytest
import requests
from botocore.exceptions import ClientError

from text2image.domain.english_words import english_words
from text2image.domain.verdicts import LanguageGuess, language_verdict
from workflow.standins.text_models import LABELS

BENIGN = [
    "a jaguar in the Amazon rainforest",
    "a watercolor painting of a lighthouse at dawn",
    "a portrait of an astronaut riding a horse on mars",
    "a knight fighting a dragon",
]


def detect(comprehend, *texts: str, language: str = "en") -> list[dict]:
    response = comprehend.detect_toxic_content(
        LanguageCode=language, TextSegments=[{"Text": text} for text in texts]
    )
    return response["ResultList"]


def scores(result: dict) -> dict[str, float]:
    return {label["Name"]: label["Score"] for label in result["Labels"]}


def test_every_segment_gets_toxicity_and_the_seven_labels(comprehend):
    results = detect(comprehend, *BENIGN)

    assert len(results) == len(BENIGN)
    for result in results:
        assert set(scores(result)) == set(LABELS)
        assert all(0 <= score <= 1 for score in [*scores(result).values(), result["Toxicity"]])


def test_benign_prompts_score_low(comprehend):
    for result in detect(comprehend, *BENIGN):
        assert result["Toxicity"] < 0.5
        assert max(scores(result).values()) < 0.5


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("you are a worthless idiot", "INSULT"),
        ("I will hurt you", "VIOLENCE_OR_THREAT"),
        ("fuck this shit", "PROFANITY"),
        ("immigrants are vermin", "HATE_SPEECH"),  # the model alone scores this low
        ("a photo of a naked woman", "SEXUAL"),
        ("a decapitated body", "GRAPHIC"),
    ],
)
def test_offensive_prompts_are_flagged_under_the_right_label(comprehend, text, label):
    (result,) = detect(comprehend, text)

    assert result["Toxicity"] >= 0.5
    assert scores(result)[label] >= 0.5
    assert scores(result)[label] == max(scores(result).values())


def test_at_most_ten_segments(comprehend):
    assert len(detect(comprehend, *["a cat"] * 10)) == 10
    with pytest.raises(ClientError) as error:
        detect(comprehend, *["a cat"] * 11)
    assert error.value.response["Error"]["Code"] == "InvalidRequestException"


def test_zero_segments_are_refused_by_the_service_too(standins):
    # botocore refuses an empty list itself, so this one goes over raw HTTP.
    response = requests.post(
        standins.standins_url,
        json={"LanguageCode": "en", "TextSegments": []},
        headers={"X-Amz-Target": "Comprehend_20171127.DetectToxicContent"},
        timeout=10,
    )
    assert response.status_code == 400
    assert response.json()["__type"] == "InvalidRequestException"


def test_a_segment_is_limited_to_1_kb_of_utf8_not_to_1024_characters(comprehend):
    assert detect(comprehend, "a" * 1024)
    with pytest.raises(ClientError) as error:
        detect(comprehend, "é" * 513)  # 513 characters, 1,026 bytes
    assert error.value.response["Error"]["Code"] == "TextSizeLimitExceededException"
    assert isinstance(error.value, comprehend.exceptions.TextSizeLimitExceededException)


def test_only_english_is_supported(comprehend):
    with pytest.raises(comprehend.exceptions.UnsupportedLanguageException):
        detect(comprehend, "un chat", language="fr")


def test_the_dominant_language_of_a_sentence(comprehend):
    english = comprehend.detect_dominant_language(Text=BENIGN[0])["Languages"]
    french = comprehend.detect_dominant_language(
        Text="un jaguar dans la forêt amazonienne au lever du soleil"
    )["Languages"]

    # fastText is less sure of "jaguar ... Amazon" (0.62) than of most English, but English leads.
    assert english[0]["LanguageCode"] == "en" and english[0]["Score"] > 4 * english[1]["Score"]
    assert french[0]["LanguageCode"] == "fr" and french[0]["Score"] > 0.9


@pytest.mark.parametrize("text", ["a cat", "sunset", "dog", "wood", "cyberpunk city", "red balls"])
def test_short_english_prompts_are_english(comprehend, text):
    # langdetect, the stand-in's former detector, called these Romanian,
    # Norwegian, Portuguese, Afrikaans, Polish.
    guesses = comprehend.detect_dominant_language(Text=text)["Languages"]

    assert guesses[0]["LanguageCode"] == "en"
    assert language_verdict([LanguageGuess(g["LanguageCode"], g["Score"]) for g in guesses], 0.8).checkable


@pytest.mark.parametrize(
    "text", ["生成一个亚马逊雨林中的美洲虎图片", "eine schwarze Katze", "Hola, ¿cómo estás?"]
)
def test_short_text_in_another_language_is_refused_by_the_fail_closed_rule(comprehend, text):
    guesses = comprehend.detect_dominant_language(Text=text)["Languages"]
    verdict = language_verdict([LanguageGuess(g["LanguageCode"], g["Score"]) for g in guesses], 0.8)

    assert guesses[0]["LanguageCode"] != "en"
    assert not verdict.checkable
    assert f"'{guesses[0]['LanguageCode']}'" in verdict.reason


def test_languages_come_most_likely_first_with_scores_that_sum_to_at_most_one(comprehend):
    guesses = comprehend.detect_dominant_language(Text="a cat")["Languages"]
    scores = [guess["Score"] for guess in guesses]

    assert 1 <= len(guesses) <= 5
    assert scores == sorted(scores, reverse=True)
    assert all(0.01 <= score <= 1 for score in scores)
    assert sum(scores) <= 1.0001


def test_the_language_of_the_same_text_is_always_the_same(comprehend):
    answers = {str(comprehend.detect_dominant_language(Text="a cat")["Languages"]) for _ in range(5)}
    assert len(answers) == 1


def test_text_without_letters_has_no_language(comprehend):
    assert comprehend.detect_dominant_language(Text="12345 !!!")["Languages"] == []


@pytest.mark.parametrize("text", ["a jaguar", "cactus", "anime", "bauhaus", "a cat"])
def test_short_english_the_detector_misreads_is_checkable_by_its_known_words(comprehend, text):
    guesses = comprehend.detect_dominant_language(Text=text)["Languages"]
    verdict = language_verdict(
        [LanguageGuess(g["LanguageCode"], g["Score"]) for g in guesses], 0.8, text, english_words()
    )

    assert (verdict.checkable, verdict.language) == (True, "en")


@pytest.mark.parametrize(
    "text", ["eine schwarze Katze", "die Katze", "un chat noir", "czarny kot", "el perro"]
)
def test_short_foreign_text_is_not_read_as_english_by_its_words(comprehend, text):
    guesses = comprehend.detect_dominant_language(Text=text)["Languages"]
    verdict = language_verdict(
        [LanguageGuess(g["LanguageCode"], g["Score"]) for g in guesses], 0.8, text, english_words()
    )

    assert not verdict.checkable
