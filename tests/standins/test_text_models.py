"""The toxicity model's fast path gives exactly the package's own probabilities."""

from __future__ import annotations

from profanity_check import predict_prob

from workflow.standins.text_models import OffensiveLanguageClassifier

TEXTS = [
    "a jaguar in the Amazon rainforest",
    "you are a worthless idiot",
    "fuck this shit",
    "immigrants are vermin",
    "a photo of a naked woman",
    "",
]


def test_the_numpy_evaluation_matches_scikit_learns_predict_proba():
    fast = OffensiveLanguageClassifier().predict_prob(TEXTS)
    reference = predict_prob(TEXTS)

    assert len(fast) == len(TEXTS)
    assert max(abs(a - b) for a, b in zip(fast, reference, strict=True)) < 1e-9
