"""Amazon Translate: the Translator of the prompt check."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from text2image.adapters.errors import THROTTLING_CODES
from text2image.domain.translation import CHECKED_LANGUAGE, Translation, Untranslatable
from text2image.observability import logger

# Errors that say this text cannot be translated, however often it is retried.
REFUSALS: dict[str, str] = {
    "UnsupportedLanguagePairException": "Amazon Translate does not translate this language to English",
    "DetectedLanguageLowConfidenceException": "its language could not be told with enough confidence",
    "TextSizeLimitExceededException": "it is too long to translate",
    "InvalidRequestException": "Amazon Translate refused the text",
}


class AmazonTranslator:
    def __init__(self, client: Any) -> None:
        self._client = client

    def to_english(self, text: str, source_language: str) -> Translation:
        """The English translation of `text`; Untranslatable when Translate refuses
        it or fails after the client's own retry (the caller rejects the prompt)."""
        try:
            response = self._client.translate_text(
                Text=text, SourceLanguageCode=source_language, TargetLanguageCode=CHECKED_LANGUAGE
            )
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            logger.warning("translation failed", extra={"error_code": code, "source": source_language})
            if code in REFUSALS:
                raise Untranslatable(REFUSALS[code]) from None
            if code in THROTTLING_CODES:
                raise Untranslatable("the translation service is busy; try again in a moment") from None
            raise Untranslatable("the translation service is unavailable; try again later") from None
        except BotoCoreError as error:
            logger.warning("translation failed", extra={"error_code": type(error).__name__})
            raise Untranslatable("the translation service is unavailable; try again later") from None
        return Translation(response["TranslatedText"], response["SourceLanguageCode"])
