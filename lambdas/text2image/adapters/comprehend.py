"""Amazon Comprehend: the TextAnalyzer of the prompt check."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from text2image.adapters.errors import translate
from text2image.domain.verdicts import LanguageGuess, SegmentScores
from text2image.errors import ComprehendThrottled, ComprehendUnavailable, TextNotCheckable


class ComprehendTextAnalyzer:
    def __init__(self, client: Any) -> None:
        self._client = client

    def detect_languages(self, text: str) -> list[LanguageGuess]:
        try:
            response = self._client.detect_dominant_language(Text=text)
        except (ClientError, BotoCoreError) as error:
            raise self._translate(error, "The language of the prompt could not be detected") from None
        return [LanguageGuess(item["LanguageCode"], float(item["Score"])) for item in response["Languages"]]

    def detect_toxicity(self, texts: Sequence[str]) -> list[SegmentScores]:
        try:
            response = self._client.detect_toxic_content(
                LanguageCode="en", TextSegments=[{"Text": text} for text in texts]
            )
        except (ClientError, BotoCoreError) as error:
            raise self._translate(error, "The prompt could not be checked for toxicity") from None
        return [
            SegmentScores(
                source="",
                toxicity=float(result["Toxicity"]),
                labels={label["Name"]: float(label["Score"]) for label in result["Labels"]},
            )
            for result in response["ResultList"]
        ]

    @staticmethod
    def _translate(error: Exception, message: str) -> Exception:
        return translate(
            error,
            throttled=ComprehendThrottled,
            unavailable=ComprehendUnavailable,
            permanent=TextNotCheckable,
            message=message,
        )
