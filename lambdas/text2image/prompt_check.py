"""Checking a prompt: language first (translating to English when allowed), then
toxicity of the English text. Pure logic behind Protocols."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from text2image.config import PromptCheckConfig
from text2image.contract import CheckToxicityRequest
from text2image.domain.english_words import english_words
from text2image.domain.policy import (
    Policy,
    PolicyHit,
    harmful_words,
    load_policy,
    needs_people_check,
    people_verdict,
    policy_hits,
)
from text2image.domain.prompts import PromptSource, prompt_segments
from text2image.domain.translation import (
    CHECKED_LANGUAGE,
    DETECT_LANGUAGE,
    Translation,
    Untranslatable,
)
from text2image.domain.verdicts import (
    LanguageGuess,
    LanguageVerdict,
    SegmentScores,
    language_verdict,
    toxicity_verdict,
)
from text2image.models import PromptVerdict


class TextAnalyzer(Protocol):
    def detect_languages(self, text: str) -> list[LanguageGuess]: ...

    def detect_toxicity(self, texts: Sequence[str]) -> list[SegmentScores]: ...


class Translator(Protocol):
    def to_english(self, text: str, source_language: str) -> Translation: ...


class PeopleFinder(Protocol):
    def find_people(self, english_text: str) -> list[str]: ...


NAMES: dict[PromptSource, str] = {"prompt": "prompt", "negative_prompt": "negative prompt"}


def check_prompt(
    request: CheckToxicityRequest,
    analyzer: TextAnalyzer,
    config: PromptCheckConfig,
    translator: Translator | None = None,
    people_finder: PeopleFinder | None = None,
    policy: Policy | None = None,
) -> PromptVerdict:
    """The verdict on a prompt and its negative prompt.

    Each text must be checkable English before it is scored. A text in another
    language is translated to English when translation is on, and the translation
    is what gets scored; a text that is not English and cannot be translated
    rejects the request without scoring anything.
    """
    # An over-long request is refused before any service is called.
    prompt_segments(request.prompt, request.negative_prompt)
    english: dict[PromptSource, str] = {"prompt": request.prompt, "negative_prompt": request.negative_prompt}
    translated: dict[PromptSource, str] = {}
    terminologies: list[str] = []
    prompt_language: LanguageVerdict | None = None
    for source, text in (("prompt", request.prompt), ("negative_prompt", request.negative_prompt)):
        if not text.strip():
            continue
        verdict = language_verdict(
            analyzer.detect_languages(text), config.language_confidence, text, english_words()
        )
        if source == "prompt":
            prompt_language = verdict
        if verdict.checkable:
            continue
        if translator is None or not config.translate_prompts:
            return _refused(verdict, verdict.reason, prompt_language)
        try:
            translation = translator.to_english(text, _source_hint(verdict, config))
        except Untranslatable as error:
            reason = (
                f"The {NAMES[source]} appears to be in '{verdict.language}' (confidence {verdict.score:.2f}) "
                f"and could not be translated to English: {error}. Only English text can be checked for "
                "safety, so the request was not accepted."
            )
            return _refused(verdict, reason, prompt_language)
        english[source] = translated[source] = translation.text
        terminologies += [name for name in translation.terminologies if name not in terminologies]
        if source == "prompt":
            prompt_language = LanguageVerdict(True, translation.source_language, verdict.score)

    if prompt_language is None:  # the contract already refuses a prompt without words
        raise ValueError("the prompt must contain some text, not only spaces")
    # A translation can be longer than its original: cut the English texts.
    segments = prompt_segments(english["prompt"], english["negative_prompt"])
    scores = analyzer.detect_toxicity([segment.text for segment in segments])
    scored = [
        SegmentScores(source=segment.source, toxicity=score.toxicity, labels=score.labels)
        for segment, score in zip(segments, scores, strict=True)
    ]
    toxicity = toxicity_verdict(scored, config.toxicity_threshold, config.label_thresholds)
    hit = None
    if toxicity.safe:
        policy = policy or load_policy()
        # The negative prompt names what must NOT be drawn: it is no request for it.
        hit = _policy_hit(policy, request.prompt, english["prompt"], config, people_finder)
    if hit is not None:
        return PromptVerdict(
            safe=False,
            reason_code="REAL_PERSON" if hit.category == "people" else "DENIED_CONTENT",
            reason=f"The prompt breaks the image policy's rule {hit.rule} ({hit.says}) on the words "
            + ", ".join(f"'{word}'" for word in hit.words)
            + ".",
            rule=hit.rule,
            matched=list(hit.words),
            policy_version=policy.version if policy else "",
            language=CHECKED_LANGUAGE,
            language_score=round(prompt_language.score, 4),
            prompt_language=prompt_language.language,
            translated_prompt=translated.get("prompt"),
            translated_negative_prompt=translated.get("negative_prompt"),
            toxicity=toxicity.toxicity,
            labels=toxicity.labels,
        )
    return PromptVerdict(
        safe=toxicity.safe,
        reason_code="" if toxicity.safe else "TOXIC_PROMPT",
        reason=""
        if toxicity.safe
        else "The prompt was classified as toxic: " + "; ".join(toxicity.reasons) + ".",
        language=CHECKED_LANGUAGE,
        language_score=round(prompt_language.score, 4),
        prompt_language=prompt_language.language,
        translated_prompt=translated.get("prompt"),
        translated_negative_prompt=translated.get("negative_prompt"),
        translation_terminologies=terminologies,
        toxicity=toxicity.toxicity,
        labels=toxicity.labels,
    )


def _policy_hit(
    policy: Policy,
    original: str,
    english: str,
    config: PromptCheckConfig,
    people_finder: PeopleFinder | None,
) -> PolicyHit | None:
    """The first rule the prompt breaks: the operator's rules on the original and the
    English text, then the people rule on the English text (DetectEntities is called
    only when the people setting could refuse)."""
    texts = [original] if original == english else [original, english]
    hits = policy_hits(policy, texts)
    if hits:
        return hits[0]
    harmful = harmful_words(policy, texts)
    if people_finder is None or not needs_people_check(config.people, harmful):
        return None
    return people_verdict(config.people, people_finder.find_people(english), harmful)


def _source_hint(verdict: LanguageVerdict, config: PromptCheckConfig) -> str:
    """The language to translate from: the detected one when it is clear, else
    Translate's own detection (which refuses a language it cannot tell)."""
    if verdict.language != "und" and verdict.score >= config.language_confidence:
        return verdict.language
    return DETECT_LANGUAGE


def _refused(verdict: LanguageVerdict, reason: str, prompt_language: LanguageVerdict | None) -> PromptVerdict:
    """The request refused for the language of one of its texts, unscored."""
    return PromptVerdict(
        safe=False,
        reason_code="UNSUPPORTED_LANGUAGE",
        reason=reason,
        language=verdict.language,
        language_score=round(verdict.score, 4),
        prompt_language=(prompt_language or verdict).language,
    )
