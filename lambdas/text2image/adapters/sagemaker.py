"""The SageMaker JumpStart SDXL endpoint."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError, ReadTimeoutError

from text2image.adapters.errors import translate
from text2image.errors import (
    EndpointNoCapacity,
    EndpointThrottled,
    EndpointUnavailable,
    GenerationTimedOut,
    InvalidModelOutput,
    ModelError,
)

# How the runtime refuses an invocation while an inference component has no copy:
# a 400 ValidationError whose message says so.
NO_CAPACITY_CODE = "ValidationError"
NO_CAPACITY_PHRASE = "no capacity"


def is_no_capacity(error: Exception) -> bool:
    if not isinstance(error, ClientError):
        return False
    details = error.response.get("Error", {})
    return (
        details.get("Code") == NO_CAPACITY_CODE and NO_CAPACITY_PHRASE in details.get("Message", "").lower()
    )


class SdxlEndpointClient:
    def __init__(self, client: Any, endpoint_name: str, inference_component_name: str = "") -> None:
        self._client = client
        self._endpoint_name = endpoint_name
        # Scale-to-zero endpoints host SDXL as a named inference component.
        self._target = (
            {"InferenceComponentName": inference_component_name} if inference_component_name else {}
        )

    def generate(self, payload: dict[str, Any]) -> bytes:
        """The image bytes the endpoint generated for a JumpStart SDXL payload."""
        try:
            response = self._client.invoke_endpoint(
                EndpointName=self._endpoint_name,
                ContentType="application/json",
                Accept="application/json",
                Body=json.dumps(payload).encode("utf-8"),
                **self._target,
            )
            body = response["Body"].read()
        except ReadTimeoutError:
            # The caller's deadline, not an outage: retrying would not fit either.
            raise GenerationTimedOut(
                "The image model did not answer in the time this request allows"
            ) from None
        except (ClientError, BotoCoreError) as error:
            if is_no_capacity(error):
                raise EndpointNoCapacity("The image model is starting up (scaled to zero)") from None
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
