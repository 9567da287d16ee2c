"""Amazon Comprehend: DetectToxicContent and DetectDominantLanguage."""

from __future__ import annotations

from typing import Any

from workflow.standins.text_models import LanguageModel, ToxicityModel
from workflow.standins.wire import AwsError

MAX_SEGMENTS = 10
MAX_SEGMENT_BYTES = 1024
MAX_TOTAL_BYTES = 10 * 1024
MAX_LANGUAGE_TEXT_BYTES = 100_000


def _text(value: Any, field: str) -> str:
    if not isinstance(value, str) or not value:
        raise AwsError("InvalidRequestException", f"{field} must be a non-empty string.")
    return value


class Comprehend:
    def __init__(self, toxicity: ToxicityModel, language: LanguageModel) -> None:
        self.toxicity = toxicity
        self.language = language

    def detect_toxic_content(self, request: dict[str, Any]) -> dict[str, Any]:
        segments = request.get("TextSegments")
        if not isinstance(segments, list) or not segments:
            raise AwsError("InvalidRequestException", "TextSegments must hold at least one segment.")
        if len(segments) > MAX_SEGMENTS:
            raise AwsError(
                "InvalidRequestException",
                f"TextSegments holds {len(segments)} segments; at most {MAX_SEGMENTS} are allowed.",
            )
        texts = [
            _text(segment.get("Text") if isinstance(segment, dict) else None, "Text") for segment in segments
        ]
        sizes = [len(text.encode("utf-8")) for text in texts]
        if max(sizes) > MAX_SEGMENT_BYTES or sum(sizes) > MAX_TOTAL_BYTES:
            raise AwsError(
                "TextSizeLimitExceededException",
                f"Input text size exceeds limit. Max length of each segment is {MAX_SEGMENT_BYTES} bytes "
                f"and of all segments {MAX_TOTAL_BYTES} bytes.",
            )
        language = request.get("LanguageCode")
        if language != "en":
            raise AwsError(
                "UnsupportedLanguageException",
                f"Unsupported language: {language!r}. DetectToxicContent supports only 'en'.",
            )
        return {
            "ResultList": [
                {
                    "Labels": [{"Name": name, "Score": score} for name, score in scores.labels.items()],
                    "Toxicity": scores.toxicity,
                }
                for scores in self.toxicity.score(texts)
            ]
        }

    def detect_dominant_language(self, request: dict[str, Any]) -> dict[str, Any]:
        text = _text(request.get("Text"), "Text")
        if len(text.encode("utf-8")) > MAX_LANGUAGE_TEXT_BYTES:
            raise AwsError(
                "TextSizeLimitExceededException",
                f"Input text size exceeds limit. Max length is {MAX_LANGUAGE_TEXT_BYTES} bytes.",
            )
        return {
            "Languages": [
                {"LanguageCode": guess.code, "Score": guess.score} for guess in self.language.detect(text)
            ]
        }
