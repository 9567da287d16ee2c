"""A hate-speech classifier that the project builds itself, from labelled public data it ships.

The Comprehend stand-in's other evidence, alt-profanity-check and the lexicon rules,
reads words: it misses hate speech that has no slur and no strongly negative word
("kids from china are outsmarting our kids at every turn"). This classifier learnt
from about 28,000 labelled texts (`tests/data/toxicity_training/`, sources and
licences in its NOTICE.md): hateful and offensive tweets and ToxiGen's hateful
statements against neutral tweets, ToxiGen's neutral statements and COCO image
captions. It is TF-IDF over words and word pairs with a logistic regression.

It is built once, on first use, from those files into `.cache/` (a few seconds, no
network, the same numbers every time: the solver is deterministic), under a name
that carries a digest of the training data and of the settings below, so a change
to either builds a new one. The file is written aside and renamed into place.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from repo_paths import CACHE_DIR, REPO_ROOT

TRAINING_DIR = REPO_ROOT / "tests" / "data" / "toxicity_training"
TRAINING_FILES = {"harmful.tsv": 1, "benign.tsv": 0}
MODEL_DIR = CACHE_DIR / "hate-speech-classifier"

# Chosen on the tune split of `make eval-prompts` (docs/judgement.md).
SETTINGS = {
    "ngram_range": [1, 2],
    "min_df": 2,
    "sublinear_tf": True,
    "C": 2.0,
    "class_weight": "balanced",
    "max_iter": 2000,
}


def training_texts(training_dir: Path = TRAINING_DIR) -> tuple[list[str], list[int]]:
    """The labelled texts: one per line, `source<TAB>text`; harmful is 1, benign 0."""
    texts: list[str] = []
    labels: list[int] = []
    for name, label in TRAINING_FILES.items():
        for line in (training_dir / name).read_text(encoding="utf-8").splitlines():
            _, _, text = line.partition("\t")
            if text:
                texts.append(text)
                labels.append(label)
    return texts, labels


def model_path(training_dir: Path = TRAINING_DIR, model_dir: Path = MODEL_DIR) -> Path:
    digest = hashlib.sha256(json.dumps(SETTINGS, sort_keys=True).encode())
    for name in TRAINING_FILES:
        digest.update((training_dir / name).read_bytes())
    return model_dir / f"{digest.hexdigest()[:16]}.npz"


def build(training_dir: Path, target: Path) -> None:
    """Fit the vectoriser and the regression, and save what scoring needs as plain arrays."""
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    texts, labels = training_texts(training_dir)
    vectorizer = TfidfVectorizer(
        ngram_range=tuple(SETTINGS["ngram_range"]),
        min_df=SETTINGS["min_df"],
        sublinear_tf=SETTINGS["sublinear_tf"],
        dtype=np.float64,
    )
    features = vectorizer.fit_transform(texts)
    regression = LogisticRegression(
        C=SETTINGS["C"], class_weight=SETTINGS["class_weight"], max_iter=SETTINGS["max_iter"]
    ).fit(features, labels)
    vocabulary = np.array(vectorizer.get_feature_names_out(), dtype=str)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.with_name(f"{target.stem}.{os.getpid()}.{threading.get_ident()}.building.npz")
    np.savez_compressed(
        staging,
        vocabulary=vocabulary,
        idf=vectorizer.idf_,
        coef=regression.coef_[0],
        intercept=regression.intercept_,
    )
    os.replace(staging, target)  # atomic: a concurrent reader sees the whole file or none


class HateSpeechClassifier:
    """Probability that a text is hateful or offensive, from the model built above."""

    def __init__(self, training_dir: Path = TRAINING_DIR, model_dir: Path = MODEL_DIR) -> None:
        self._training_dir = training_dir
        self._model_dir = model_dir
        self._lock = threading.Lock()
        self._model: tuple[Any, Any, float] | None = None

    def _load(self) -> tuple[Any, Any, float]:
        with self._lock:
            if self._model is None:
                import numpy as np
                from sklearn.feature_extraction.text import TfidfVectorizer

                path = model_path(self._training_dir, self._model_dir)
                if not path.exists():
                    build(self._training_dir, path)
                with np.load(path) as saved:
                    vocabulary = {str(term): index for index, term in enumerate(saved["vocabulary"])}
                    vectorizer = TfidfVectorizer(
                        ngram_range=tuple(SETTINGS["ngram_range"]),
                        sublinear_tf=SETTINGS["sublinear_tf"],
                        vocabulary=vocabulary,
                        dtype=np.float64,
                    )
                    vectorizer.idf_ = saved["idf"]
                    self._model = (vectorizer, saved["coef"].copy(), float(saved["intercept"][0]))
            return self._model

    def predict_prob(self, texts: Sequence[str]) -> list[float]:
        from scipy.special import expit

        vectorizer, coef, intercept = self._load()
        decisions = vectorizer.transform(list(texts)) @ coef + intercept
        return [float(p) for p in expit(decisions)]
