"""The SageMaker JumpStart SDXL endpoint."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError, ReadTimeoutError

from text2image.adapters.errors import translate
from text2image.errors import (
    EndpointThrottled,
    EndpointUnavailable,
    GenerationTimedOut,
    InvalidModelOutput,
    ModelError,
)


class SdxlEndpoint:
    def __init__(self, client: Any, endpoint_name: str) -> None:
        self._client = client
        self._endpoint_name = endpoint_name

    def generate(self, payload: dict[str, Any]) -> bytes:
        """The image bytes the endpoint generated for a JumpStart SDXL payload."""
        try:
            response = self._client.invoke_endpoint(
                EndpointName=self._endpoint_name,
                ContentType="application/json",
                Accept="application/json",
                Body=json.dumps(payload).encode("utf-8"),
            )
            body = response["Body"].read()
        except ReadTimeoutError:
            # The caller's deadline, not an outage: retrying would not fit either.
            raise GenerationTimedOut(
                "The image model did not answer in the time this request allows"
            ) from None
        except (ClientError, BotoCoreError) as error:
            raise translate(
                error,
                throttled=EndpointThrottled,
                unavailable=EndpointUnavailable,
                permanent=ModelError,
                message="The image model did not generate an image",
            ) from None
        try:
            encoded = json.loads(body)["generated_image"]
            return base64.b64decode(encoded, validate=True)
        except (ValueError, KeyError, TypeError, binascii.Error):
            raise InvalidModelOutput("The image model answered without a base64 image") from None
