"""Amazon Translate: the Translator of the prompt check."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from text2image.adapters.errors import THROTTLING_CODES
from text2image.domain.translation import CHECKED_LANGUAGE, Translation, Untranslatable
from text2image.observability import logger

# Errors that say this text cannot be translated, however often it is retried. The
# translator's own message follows: it says which pair and why, and the adapter cannot
# tell Amazon Translate from a stand-in answering at the same endpoint.
REFUSALS: dict[str, str] = {
    "UnsupportedLanguagePairException": "the translation service does not translate this language to English",
    "DetectedLanguageLowConfidenceException": "its language could not be told with enough confidence",
    "TextSizeLimitExceededException": "it is too long to translate",
    "InvalidRequestException": "the translation service refused the text",
}
# Enough of the service's message to say why; a reason is shown to the user.
MAX_SERVICE_MESSAGE = 240


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
                said = " ".join(str(error.response.get("Error", {}).get("Message", "")).split())
                said = said[:MAX_SERVICE_MESSAGE].rstrip(" .")
                raise Untranslatable(f"{REFUSALS[code]} ({said})" if said else REFUSALS[code]) from None
            if code in THROTTLING_CODES:
                raise Untranslatable("the translation service is busy; try again in a moment") from None
            raise Untranslatable("the translation service is unavailable; try again later") from None
        except BotoCoreError as error:
            logger.warning("translation failed", extra={"error_code": type(error).__name__})
            raise Untranslatable("the translation service is unavailable; try again later") from None
        # Amazon Translate names a terminology only when the request names it (this one names
        # none); a translator that glosses instead of translating says so here.
        terminologies = tuple(item["Name"] for item in response.get("AppliedTerminologies") or [])
        return Translation(response["TranslatedText"], response["SourceLanguageCode"], terminologies)
