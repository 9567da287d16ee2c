"""Amazon Bedrock Runtime ApplyGuardrail on a text or an image."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from text2image.adapters.errors import translate
from text2image.domain.guardrail import (
    GuardrailAnswerInvalid,
    GuardrailSource,
    GuardrailVerdict,
    guardrail_verdict,
)
from text2image.errors import GuardrailRefused, GuardrailThrottled, GuardrailUnavailable


class Guardrail:
    def __init__(self, client: Any, identifier: str, version: str) -> None:
        self._client = client
        self._identifier = identifier
        self._version = version

    def text(self, text: str, source: GuardrailSource) -> GuardrailVerdict:
        return self._apply(source, [{"text": {"text": text}}])

    def image(self, data: bytes, image_format: str, source: GuardrailSource) -> GuardrailVerdict:
        verdict = self._apply(source, [{"image": {"format": image_format, "source": {"bytes": data}}}])
        if verdict.image_units < 1:
            # No image unit used: the image was not assessed, which is no evidence it is safe.
            raise GuardrailRefused("The guardrail did not assess the image (no image units used)")
        return verdict

    def _apply(self, source: GuardrailSource, content: list[dict[str, Any]]) -> GuardrailVerdict:
        if not self._identifier:
            raise GuardrailRefused("No guardrail is configured (GUARDRAIL_ID is empty)")
        try:
            response = self._client.apply_guardrail(
                guardrailIdentifier=self._identifier,
                guardrailVersion=self._version,
                source=source,
                content=content,
            )
            return guardrail_verdict(response)
        except (ClientError, BotoCoreError) as error:
            raise translate(
                error,
                throttled=GuardrailThrottled,
                unavailable=GuardrailUnavailable,
                permanent=GuardrailRefused,
                message="The guardrail could not be applied",
            ) from None
        except GuardrailAnswerInvalid as error:
            raise GuardrailRefused(f"The guardrail's answer could not be read: {error}") from None
