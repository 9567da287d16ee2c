"""The hate-speech classifier the stand-in builds from shipped data: built offline, the same
every time, it separates clear cases it never saw; and how its probability becomes labels."""

from __future__ import annotations

import socket
from collections.abc import Sequence

import numpy as np
import pytest

from workflow.standins.hate_classifier import (
    TRAINING_DIR,
    HateSpeechClassifier,
    build,
    model_path,
    training_texts,
)
from workflow.standins.text_models import HATE_CLASSIFIER_THRESHOLD, ToxicityModel

HATEFUL = [
    "those people are ruining this country and everyone knows it",
    "you stupid worthless piece of trash, nobody wants you here",
    "gay people are a danger to our children",
]
ORDINARY = [
    "a bowl of ramen with a soft boiled egg",
    "a group of children flying kites on a hill",
    "a black and white photo of a jazz band",
    "a white country home with a wrap-around porch",
    "a muslim family sharing dinner during ramadan",
    "a grandmother teaching her grandson to bake bread",
]


@pytest.fixture(scope="module")
def classifier() -> HateSpeechClassifier:
    return HateSpeechClassifier()


def test_the_examples_are_not_training_texts():
    seen = {text.lower() for text in training_texts()[0]}

    assert not seen & {text.lower() for text in HATEFUL + ORDINARY}


def test_it_is_built_from_the_shipped_files_without_network_and_deterministically(tmp_path, monkeypatch):
    def no_network(*args, **kwargs):
        raise OSError("network access during the build")

    monkeypatch.setattr(socket, "socket", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    first, second = tmp_path / "a" / "model.npz", tmp_path / "b" / "model.npz"
    build(TRAINING_DIR, first)
    build(TRAINING_DIR, second)

    with np.load(first) as a, np.load(second) as b:
        assert a["vocabulary"].size > 10_000
        for name in ("vocabulary", "idf", "coef", "intercept"):
            assert np.array_equal(a[name], b[name]), name
    assert not list(tmp_path.rglob("*.building*"))  # written aside, renamed into place


def test_the_cached_model_is_named_by_its_training_data(tmp_path):
    for name in ("harmful.tsv", "benign.tsv"):
        (tmp_path / name).write_bytes((TRAINING_DIR / name).read_bytes())
    before = model_path(tmp_path, tmp_path / "cache")
    with (tmp_path / "benign.tsv").open("a", encoding="utf-8") as extra:
        extra.write("test\ta red bicycle leaning on a fence\n")

    assert model_path(tmp_path, tmp_path / "cache") != before


def test_a_fresh_classifier_builds_its_model_on_first_use(tmp_path):
    fresh = HateSpeechClassifier(model_dir=tmp_path)

    assert fresh.predict_prob(["a cat on a mat"])[0] < 0.5
    assert [path.suffix for path in tmp_path.iterdir()] == [".npz"]


def test_it_separates_clear_hate_from_ordinary_prompts_it_never_saw(classifier):
    hateful = classifier.predict_prob(HATEFUL)
    ordinary = classifier.predict_prob(ORDINARY)

    assert min(hateful) >= HATE_CLASSIFIER_THRESHOLD, hateful
    assert max(ordinary) < 0.5, ordinary


class Fixed:
    """A classifier that answers one probability, to test how the stand-in uses it."""

    def __init__(self, probability: float) -> None:
        self.probability = probability

    def predict_prob(self, texts: Sequence[str]) -> list[float]:
        return [self.probability] * len(texts)


def test_its_probability_counts_as_hate_speech_and_for_the_labels_whose_cues_appear():
    model = ToxicityModel(Fixed(0.9))  # type: ignore[arg-type]
    (plain, insulting) = model.score(
        ["kids from china are outsmarting ours", "those lazy people should stay out of here"]
    )

    assert plain.labels["HATE_SPEECH"] == 0.9 and plain.toxicity == 0.9
    assert insulting.labels["INSULT"] == 0.9  # "lazy" is an INSULT cue
    assert plain.labels["SEXUAL"] == 0.0


@pytest.mark.parametrize(
    "text",
    [
        "a white pawn",  # three words: left to the other evidence
        "it is a racist myth that mexicans are criminals",  # counter-speech
    ],
)
def test_its_probability_does_not_count_for_short_prompts_or_counter_speech(text):
    (scores,) = ToxicityModel(Fixed(0.99)).score([text])  # type: ignore[arg-type]

    assert scores.labels["HATE_SPEECH"] < 0.5


def test_below_its_threshold_it_adds_nothing():
    (scores,) = ToxicityModel(Fixed(HATE_CLASSIFIER_THRESHOLD - 0.01)).score(  # type: ignore[arg-type]
        ["a quiet street of brick houses at dawn"]
    )

    assert scores.toxicity == 0.0
