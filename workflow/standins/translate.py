"""Amazon Translate: TranslateText, with a dictionary gloss instead of a model.

No package on the registries ships a machine-translation model that could run
here (see docs/local.md, "Translate here is a dictionary gloss"). This stand-in
answers, in order: a translation installed through `POST /_admin/translations`
(exactly that text); for Chinese, Simplified or Traditional, a word-by-word
gloss from CC-CEDICT (`chinese_gloss`), and for Japanese one from JMdict
(`japanese_gloss`), each reported in `AppliedTerminologies` under its
dictionary's terminology name so that every answer made from it says what it
is (Amazon Translate reports only terminologies a request names, and the
workflow names none). Every other text is refused with
`UnsupportedLanguagePairException`, its message naming this stand-in, so a
local run stays fail-closed instead of passing an untranslated prompt off as
English.

The request is checked as Translate checks it: `Text` at most 10,000 bytes of
UTF-8, language codes Translate knows, and `SourceLanguageCode: auto` resolved
with the Comprehend stand-in's language detection (as Translate calls
Comprehend), refused with `DetectedLanguageLowConfidenceException` when no
language is clear enough.
"""

from __future__ import annotations

import threading
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field

from workflow.standins import chinese_gloss, japanese_gloss
from workflow.standins.chinese_gloss import ChineseGloss
from workflow.standins.dictionary_gloss import Gloss, NotGlossable
from workflow.standins.japanese_gloss import JapaneseGloss
from workflow.standins.text_models import LanguageModel
from workflow.standins.wire import AwsError

MAX_TEXT_BYTES = 10_000
# The stand-in's own choice: below this, `auto` does not trust the detected language.
AUTO_MIN_CONFIDENCE = 0.5

# The language codes Amazon Translate accepts (its "Supported languages" page).
_TRANSLATE_LANGUAGES = (
    "af sq am ar hy az bn bs bg ca zh zh-TW hr cs da fa-AF nl en et fa tl fi fr fr-CA ka de el gu ht "
    "ha he hi hu is id ga it ja kn kk ko lv lt mk ms ml mt mr mn no ps pl pt pt-PT pa ro ru sr si sk "
    "sl so es es-MX sw sv ta te th tr uk ur uz vi cy"
)
LANGUAGE_CODES = frozenset(_TRANSLATE_LANGUAGES.split())


def gloss_terminology(dictionary: str) -> str:
    """A terminology name as Translate's pattern allows it (letters, digits, hyphens, single underscores)."""
    return f"{dictionary}_dictionary_gloss_by_the_local_Translate_stand-in"


# The Chinese gloss's terminology (the first gloss, hence the plain name), and the Japanese one's.
GLOSS_TERMINOLOGY = gloss_terminology(chinese_gloss.DICTIONARY_NAME)
JAPANESE_GLOSS_TERMINOLOGY = gloss_terminology(japanese_gloss.DICTIONARY_NAME)


class Glosser(Protocol):
    def gloss(self, text: str) -> Gloss: ...

    def warm_up(self) -> None: ...


class InstalledTranslation(BaseModel):
    """One known translation, as `POST /_admin/translations` takes it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source_language: str = Field(min_length=2, max_length=5)
    target_language: str = Field(default="en", min_length=2, max_length=5)
    text: str = Field(min_length=1)
    translated_text: str = Field(min_length=1)


class TranslationBook:
    """The translations the stand-in may answer with, by (source, target, text)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[tuple[str, str, str], InstalledTranslation] = {}

    def add(self, entry: InstalledTranslation) -> None:
        with self._lock:
            self._entries[(entry.source_language, entry.target_language, entry.text)] = entry

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def find(self, source: str, target: str, text: str) -> InstalledTranslation | None:
        with self._lock:
            return self._entries.get((source, target, text))

    def listed(self) -> list[dict[str, str]]:
        with self._lock:
            return [entry.model_dump() for entry in self._entries.values()]


def _language_code(request: dict[str, Any], field: str) -> str:
    value = request.get(field)
    if not isinstance(value, str) or not 2 <= len(value) <= 5:
        raise AwsError("InvalidRequestException", f"{field} must be a language code of 2 to 5 characters.")
    return value


class Translate:
    def __init__(
        self,
        language: LanguageModel,
        book: TranslationBook | None = None,
        chinese: ChineseGloss | None = None,
        japanese: JapaneseGloss | None = None,
    ) -> None:
        self.language = language
        self.book = book or TranslationBook()
        self.chinese = chinese or ChineseGloss()
        self.japanese = japanese or JapaneseGloss()
        # Each source language the stand-in glosses (to English only): its glosser and dictionary.
        self.glossers: dict[str, tuple[Glosser, str]] = {
            "zh": (self.chinese, chinese_gloss.DICTIONARY_NAME),
            "zh-TW": (self.chinese, chinese_gloss.DICTIONARY_NAME),
            "ja": (self.japanese, japanese_gloss.DICTIONARY_NAME),
        }

    def translate_text(self, request: dict[str, Any]) -> dict[str, Any]:
        text = request.get("Text")
        if not isinstance(text, str) or not text:
            raise AwsError("InvalidRequestException", "Text must be a non-empty string.")
        if len(text.encode("utf-8")) > MAX_TEXT_BYTES:
            raise AwsError(
                "TextSizeLimitExceededException",
                f"Input text size exceeds limit. Max length of request text allowed is "
                f"{MAX_TEXT_BYTES} bytes while in this request the text size is "
                f"{len(text.encode('utf-8'))} bytes",
            )
        requested_source = _language_code(request, "SourceLanguageCode")
        target = _language_code(request, "TargetLanguageCode")
        source = self._detect(text) if requested_source == "auto" else requested_source
        if source not in LANGUAGE_CODES or target not in LANGUAGE_CODES:
            raise self._unsupported(source, target, "Translate does not support one of these languages")
        answer = {"TranslatedText": text, "SourceLanguageCode": source, "TargetLanguageCode": target}
        if source == target:
            return answer
        entry = self.book.find(source, target, text)
        if entry is not None:
            return answer | {"TranslatedText": entry.translated_text}
        if source not in self.glossers or target != "en":
            raise self._unsupported(
                source,
                target,
                "the local Translate stand-in glosses only Chinese and Japanese to English; Amazon "
                "Translate itself supports this pair",
            )
        glosser, dictionary = self.glossers[source]
        try:
            gloss = glosser.gloss(text)
        except NotGlossable as error:
            raise self._unsupported(
                source, target, f"the local Translate stand-in's {dictionary} gloss failed: {error}"
            ) from None
        if not gloss.text:
            raise self._unsupported(source, target, "the local Translate stand-in's gloss left no words")
        terminology = _terminology(gloss, gloss_terminology(dictionary))
        return answer | {"TranslatedText": gloss.text, "AppliedTerminologies": [terminology]}

    def warm_up(self) -> None:
        self.chinese.warm_up()
        self.japanese.warm_up()

    def _detect(self, text: str) -> str:
        guesses = self.language.detect(text)
        top = max(guesses, key=lambda guess: guess.score, default=None)
        if top is None or top.score < AUTO_MIN_CONFIDENCE:
            error = AwsError(
                "DetectedLanguageLowConfidenceException",
                "The local Translate stand-in could not determine the source language with enough "
                "confidence (its detector is the Comprehend stand-in's).",
            )
            if top is not None:
                error.fields["DetectedLanguageCode"] = top.code
            raise error
        return top.code

    @staticmethod
    def _unsupported(source: str, target: str, why: str) -> AwsError:
        error = AwsError(
            "UnsupportedLanguagePairException",
            f"Unsupported language pair: {source} to {target} ({why}).",
        )
        error.fields.update({"SourceLanguageCode": source, "TargetLanguageCode": target})
        return error


def _terminology(gloss: Gloss, name: str) -> dict[str, Any]:
    """The gloss's words as Translate's `AppliedTerminology`: each source word and its English."""
    return {
        "Name": name,
        "Terms": [{"SourceText": term.source, "TargetText": term.target} for term in gloss.terms],
    }
