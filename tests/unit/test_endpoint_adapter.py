"""The endpoint adapter: which endpoint (or inference component) it calls, and how a
scaled-to-zero endpoint's refusal becomes its own error, distinct from a model failure."""

from __future__ import annotations

import base64
import io
import json

import boto3
import pytest
from botocore.response import StreamingBody
from botocore.stub import Stubber

from text2image.adapters.sagemaker import SdxlEndpointClient
from text2image.errors import EndpointNoCapacity, EndpointThrottled, ModelError

PAYLOAD = {"text_prompts": [{"text": "a red bicycle"}], "width": 1024, "height": 1024}
# The runtime's answer while an inference component has no copy (it has scaled to zero).
NO_CAPACITY_MESSAGE = (
    "Inference Component has no capacity to process this request. ApplicationAutoScaling may be "
    "in-progress (if configured) or try to increase the capacity by invoking "
    "UpdateInferenceComponentRuntimeConfig API."
)


@pytest.fixture
def runtime():
    client = boto3.client(
        "sagemaker-runtime", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    with Stubber(client) as stubber:
        yield client, stubber


def answer(image: bytes = b"\x89PNG\r\n\x1a\n...") -> dict:
    body = json.dumps({"generated_image": base64.b64encode(image).decode()}).encode()
    return {"Body": StreamingBody(io.BytesIO(body), len(body)), "ContentType": "application/json"}


def expected(**extra: str) -> dict:
    return {
        "EndpointName": "sdxl",
        "ContentType": "application/json",
        "Accept": "application/json",
        "Body": json.dumps(PAYLOAD).encode(),
        **extra,
    }


def test_a_plain_endpoint_is_invoked_without_a_component_name(runtime):
    client, stubber = runtime
    stubber.add_response("invoke_endpoint", answer(b"\x89PNGimage"), expected())
    assert SdxlEndpointClient(client, "sdxl").generate(PAYLOAD) == b"\x89PNGimage"


def test_a_scale_to_zero_endpoint_is_invoked_through_its_inference_component(runtime):
    client, stubber = runtime
    stubber.add_response("invoke_endpoint", answer(), expected(InferenceComponentName="sdxl-component"))
    SdxlEndpointClient(client, "sdxl", "sdxl-component").generate(PAYLOAD)
    stubber.assert_no_pending_responses()


def test_no_capacity_is_its_own_error_not_a_model_failure(runtime):
    client, stubber = runtime
    stubber.add_client_error("invoke_endpoint", "ValidationError", NO_CAPACITY_MESSAGE, 400)
    with pytest.raises(EndpointNoCapacity):
        SdxlEndpointClient(client, "sdxl", "sdxl-component").generate(PAYLOAD)


@pytest.mark.parametrize(
    ("code", "message", "status", "error"),
    [
        ("ValidationError", "Endpoint sdxl of account 1 not found.", 400, ModelError),
        ("ModelNotReadyException", "Model is not ready", 429, EndpointThrottled),
    ],
)
def test_other_refusals_keep_their_meaning(runtime, code, message, status, error):
    client, stubber = runtime
    stubber.add_client_error("invoke_endpoint", code, message, status)
    with pytest.raises(error):
        SdxlEndpointClient(client, "sdxl", "sdxl-component").generate(PAYLOAD)
