"""The people rule on the image: which recognised celebrities refuse it, and when
RecognizeCelebrities is worth calling."""

from __future__ import annotations

import pytest

from text2image.contract import Label
from text2image.domain.celebrities import (
    Celebrity,
    celebrity_verdict,
    harmful_image_labels,
    needs_celebrity_check,
    recognised,
)

STAR = Celebrity(name="Jane Example", id="1a2b3c4d", match_confidence=99.0)
SWIMWEAR = [Label(name="Female Swimwear or Underwear", score=0.9, parent="Swimwear or Underwear")]
WINE = [Label(name="Alcoholic Beverages", score=0.9, parent="Alcohol")]


def test_only_celebrities_at_or_above_the_confidence_count_most_confident_first():
    doubtful = Celebrity(name="John Doubtful", id="x", match_confidence=89.9)
    sure = Celebrity(name="Jo Sure", id="y", match_confidence=90.0)
    assert recognised([doubtful, sure, STAR], 90.0) == [STAR, sure]


def test_sexual_violent_and_hateful_labels_are_harmful_drink_is_not():
    assert harmful_image_labels(SWIMWEAR) == ["Female Swimwear or Underwear"]
    assert harmful_image_labels([Label(name="Weapons", score=0.8)]) == ["Weapons"]  # parent from model 7
    assert harmful_image_labels(WINE) == []


@pytest.mark.parametrize(
    ("setting", "words", "labels", "expected"),
    [
        ("allow", ("humiliated",), ["Weapons"], False),
        ("refuse", (), [], True),
        ("refuse-harmful", (), [], False),
        ("refuse-harmful", ("humiliated",), [], True),
        ("refuse-harmful", (), ["Weapons"], True),
    ],
)
def test_rekognition_is_asked_only_when_the_setting_could_refuse(setting, words, labels, expected):
    assert needs_celebrity_check(setting, words, labels) is expected


def test_refuse_refuses_any_recognised_person_and_names_them():
    hit = celebrity_verdict("refuse", [STAR], (), [])
    assert hit is not None and (hit.rule, hit.words) == ("people.refuse", ("Jane Example",))


def test_refuse_harmful_refuses_a_person_only_with_harmful_words_or_labels():
    assert celebrity_verdict("refuse-harmful", [STAR], (), []) is None
    by_words = celebrity_verdict("refuse-harmful", [STAR], ("humiliated",), [])
    assert by_words is not None and by_words.words == ("Jane Example", "humiliated")
    by_label = celebrity_verdict("refuse-harmful", [STAR], (), ["Female Swimwear or Underwear"])
    assert by_label is not None and by_label.rule == "people.refuse-harmful"


def test_allow_and_an_empty_image_never_refuse():
    assert celebrity_verdict("allow", [STAR], ("humiliated",), ["Weapons"]) is None
    assert celebrity_verdict("refuse", [], (), []) is None
