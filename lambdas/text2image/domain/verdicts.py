"""Verdict rules: when a prompt or an image is rejected, and why."""

from __future__ import annotations

from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass

from text2image.contract import Label
from text2image.domain.english_words import words_of
from text2image.domain.taxonomy import top_level_category

# Up to this many words, a prompt made only of known English words is read as English,
# whatever the detector says: on one to three words detectors guess ("a jaguar" German,
# "bauhaus" German 0.86, "cactus", "anime"), Comprehend too.
SHORT_PROMPT_WORDS = 3


@dataclass(frozen=True)
class LanguageGuess:
    code: str
    score: float


@dataclass(frozen=True)
class LanguageVerdict:
    checkable: bool
    language: str
    score: float
    reason: str = ""


def language_verdict(
    guesses: Sequence[LanguageGuess],
    min_confidence: float,
    text: str = "",
    english_words: Set[str] = frozenset(),
) -> LanguageVerdict:
    """Decide whether text may be scored by an English-only toxicity classifier.

    Fail closed. The text is checkable when English is the most likely language,
    when no language reaches `min_confidence` and English is still one of the
    candidates (short prompts are often ambiguous), or when it has at most
    `SHORT_PROMPT_WORDS` words and every one is in `english_words`: the toxicity
    check then reads exactly the words it knows. Text that is confidently another
    language, or where English is not a candidate at all, is refused: scoring it
    as English would let it through unread.
    """
    top = max(guesses, key=lambda guess: guess.score, default=None)
    if top is not None and top.code == "en":
        return LanguageVerdict(True, "en", top.score)
    english = next((guess for guess in guesses if guess.code == "en"), None)
    if top is not None and top.score < min_confidence and english is not None:
        return LanguageVerdict(True, "en", english.score)
    if _reads_as_short_english(text, english_words):
        return LanguageVerdict(True, "en", english.score if english else 0.0)
    if top is None:
        return LanguageVerdict(False, "und", 0.0, "The language of the prompt could not be detected.")
    return LanguageVerdict(
        False,
        top.code,
        top.score,
        f"The prompt appears to be in '{top.code}' (confidence {top.score:.2f}). "
        "Only English prompts can be checked for safety, so only English prompts are accepted.",
    )


def _reads_as_short_english(text: str, english_words: Set[str]) -> bool:
    """At most `SHORT_PROMPT_WORDS` words, each a known English word; a hyphenated word is read by
    its parts, where a single letter counts ("t-shirt", "x-ray"). A text with no letters at all
    ("42", "300") has no language to misread: the toxicity check reads all of it."""
    tokens = text.split()
    parts = [words_of(token) for token in tokens]
    if tokens and not any(parts):
        return True
    return 0 < len(tokens) <= SHORT_PROMPT_WORDS and all(
        all(word in english_words or (len(part) > 1 and len(word) == 1) for word in part) for part in parts
    )


@dataclass(frozen=True)
class SegmentScores:
    source: str
    toxicity: float
    labels: Mapping[str, float]


@dataclass(frozen=True)
class ToxicityVerdict:
    safe: bool
    toxicity: float
    labels: list[Label]
    reasons: list[str]


def toxicity_verdict(
    segments: Sequence[SegmentScores],
    toxicity_threshold: float,
    label_thresholds: Mapping[str, float],
) -> ToxicityVerdict:
    """A prompt is unsafe when any segment's overall Toxicity reaches the
    threshold, or any label reaches its own threshold.

    Labels are reported with their highest score over all segments, highest first.
    """
    toxicity = max((segment.toxicity for segment in segments), default=0.0)
    best: dict[str, float] = {}
    for segment in segments:
        for name, score in segment.labels.items():
            best[name] = max(score, best.get(name, 0.0))
    labels = [Label(name=name, score=round(score, 4)) for name, score in best.items()]
    labels.sort(key=lambda label: label.score, reverse=True)

    reasons = []
    if toxicity >= toxicity_threshold:
        reasons.append(f"overall toxicity {toxicity:.2f} reaches the threshold {toxicity_threshold:.2f}")
    for name, threshold in sorted(label_thresholds.items()):
        if best.get(name, 0.0) >= threshold:
            reasons.append(f"{name} {best[name]:.2f} reaches its threshold {threshold:.2f}")
    return ToxicityVerdict(safe=not reasons, toxicity=round(toxicity, 4), labels=labels, reasons=reasons)


def blocking_labels(
    labels: Sequence[Label], toxicity_threshold: float, label_thresholds: Mapping[str, float]
) -> list[Label]:
    """The labels that reach their threshold: their own in `label_thresholds`,
    else the overall one. These are the labels a rejection is counted under."""
    return [label for label in labels if label.score >= label_thresholds.get(label.name, toxicity_threshold)]


@dataclass(frozen=True)
class ModerationLabel:
    name: str
    confidence: float
    parent: str = ""


@dataclass(frozen=True)
class ImageVerdict:
    safe: bool
    labels: list[Label]
    blocking: list[Label]


def moderation_verdict(
    detected: Sequence[ModerationLabel],
    blocked_categories: Sequence[str],
    min_confidence: float,
) -> ImageVerdict:
    """An image is unsafe when a label at or above `min_confidence` falls in a
    blocked top-level category. A label whose category cannot be resolved
    blocks too: an unknown label is not evidence of safety."""
    parents = {label.name: label.parent for label in detected}
    labels: list[Label] = []
    blocking: list[Label] = []
    for item in sorted(detected, key=lambda label: label.confidence, reverse=True):
        label = Label(name=item.name, score=round(item.confidence / 100.0, 4), parent=item.parent or None)
        labels.append(label)
        if item.confidence < min_confidence:
            continue
        category = top_level_category(item.name, parents)
        if category is None or category in blocked_categories:
            blocking.append(label)
    return ImageVerdict(safe=not blocking, labels=labels, blocking=blocking)
