"""Checking a prompt: language first, then toxicity. Pure logic behind a Protocol."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from text2image.config import PromptCheckConfig
from text2image.contract import CheckToxicityRequest
from text2image.domain.prompts import prompt_segments
from text2image.domain.verdicts import LanguageGuess, SegmentScores, language_verdict, toxicity_verdict
from text2image.models import PromptVerdict


class TextAnalyzer(Protocol):
    def detect_languages(self, text: str) -> list[LanguageGuess]: ...

    def detect_toxicity(self, texts: Sequence[str]) -> list[SegmentScores]: ...


def check_prompt(
    request: CheckToxicityRequest, analyzer: TextAnalyzer, config: PromptCheckConfig
) -> PromptVerdict:
    """The verdict on a prompt and its negative prompt.

    Each text must be checkable English before it is scored; the first text that
    is not rejects the request without scoring anything.
    """
    segments = prompt_segments(request.prompt, request.negative_prompt)
    languages = []
    for text in (request.prompt, request.negative_prompt):
        if not text.strip():
            continue
        verdict = language_verdict(analyzer.detect_languages(text), config.language_confidence)
        if not verdict.checkable:
            return PromptVerdict(
                safe=False,
                reason_code="UNSUPPORTED_LANGUAGE",
                reason=verdict.reason,
                language=verdict.language,
                language_score=round(verdict.score, 4),
            )
        languages.append(verdict)

    scores = analyzer.detect_toxicity([segment.text for segment in segments])
    scored = [
        SegmentScores(source=segment.source, toxicity=score.toxicity, labels=score.labels)
        for segment, score in zip(segments, scores, strict=True)
    ]
    toxicity = toxicity_verdict(scored, config.toxicity_threshold, config.label_thresholds)
    return PromptVerdict(
        safe=toxicity.safe,
        reason_code="" if toxicity.safe else "TOXIC_PROMPT",
        reason=""
        if toxicity.safe
        else "The prompt was classified as toxic: " + "; ".join(toxicity.reasons) + ".",
        language="en",
        language_score=round(languages[0].score, 4),
        toxicity=toxicity.toxicity,
        labels=toxicity.labels,
    )
