"""Amazon Comprehend DetectEntities: the named people of the prompt check."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from text2image.adapters.errors import translate
from text2image.errors import ComprehendThrottled, ComprehendUnavailable, TextNotCheckable

# DetectEntities takes at most 100 KB of UTF-8; the contract's prompt is far shorter.
MAX_ENTITY_TEXT_BYTES = 100_000


class ComprehendPeopleFinder:
    def __init__(self, client: Any, min_score: float) -> None:
        self._client = client
        self._min_score = min_score

    def find_people(self, english_text: str) -> list[str]:
        """The PERSON entities Comprehend finds in an English text at `min_score` or above."""
        try:
            response = self._client.detect_entities(
                Text=english_text.encode("utf-8")[:MAX_ENTITY_TEXT_BYTES].decode("utf-8", "ignore"),
                LanguageCode="en",
            )
        except (ClientError, BotoCoreError) as error:
            raise translate(
                error,
                throttled=ComprehendThrottled,
                unavailable=ComprehendUnavailable,
                permanent=TextNotCheckable,
                message="The prompt could not be checked for named people",
            ) from None
        return [
            entity["Text"]
            for entity in response.get("Entities", [])
            if entity.get("Type") == "PERSON" and float(entity.get("Score", 0.0)) >= self._min_score
        ]
