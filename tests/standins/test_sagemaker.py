"""The SDXL endpoint stand-in through a real sagemaker-runtime client."""

from __future__ import annotations

import base64
import io
import json

import pytest
from botocore.exceptions import ClientError
from PIL import Image

from text2image.config import JUMPSTART_SAMPLERS
from workflow.standins.wire import AwsError

ENDPOINT = "sdxl-1-0-jumpstart-local"


def invoke(sagemaker, **payload) -> bytes:
    body = {"text_prompts": [{"text": "a jaguar in the Amazon rainforest", "weight": 1.0}], "steps": 4}
    body |= {"width": 256, "height": 256, "seed": 7} | payload
    response = sagemaker.invoke_endpoint(
        EndpointName=ENDPOINT,
        ContentType="application/json",
        Accept="application/json",
        Body=json.dumps(body),
    )
    return base64.b64decode(json.loads(response["Body"].read())["generated_image"])


def size(data: bytes) -> tuple[int, int]:
    return Image.open(io.BytesIO(data)).size


def test_the_answer_is_a_png_of_the_requested_size(sagemaker):
    image = Image.open(io.BytesIO(invoke(sagemaker, width=640, height=1536)))

    assert (image.format, image.size) == ("PNG", (640, 1536))


def test_a_side_that_is_a_multiple_of_8_but_not_32_keeps_its_size(sagemaker):
    assert size(invoke(sagemaker, width=264, height=256)) == (264, 256)


def test_the_seed_makes_generation_deterministic(sagemaker):
    first, again, other = invoke(sagemaker, seed=42), invoke(sagemaker, seed=42), invoke(sagemaker, seed=43)

    assert first == again
    assert first != other


def test_the_prompt_and_the_negative_prompt_change_the_image(sagemaker):
    plain = invoke(sagemaker)
    other_prompt = invoke(sagemaker, text_prompts=[{"text": "a lighthouse", "weight": 1.0}])
    negative = invoke(
        sagemaker,
        text_prompts=[
            {"text": "a jaguar in the Amazon rainforest", "weight": 1.0},
            {"text": "blurry", "weight": -1.0},
        ],
    )
    assert len({plain, other_prompt, negative}) == 3


@pytest.mark.parametrize("sampler", JUMPSTART_SAMPLERS)
def test_every_jumpstart_sampler_is_mapped_to_a_scheduler(sagemaker, sampler):
    assert size(invoke(sagemaker, sampler=sampler)) == (256, 256)


@pytest.mark.parametrize(
    "payload",
    [
        {"width": 1001},
        {"height": 248},
        {"width": 4096},
        {"steps": 0},
        {"sampler": "KarrasSampler"},
        {"text_prompts": []},
        {"text_prompts": [{"text": "only a negative", "weight": -1.0}]},
        {"cfg_scale": "high"},
        {"seed": -1},
    ],
    ids=[
        "width-not-multiple-of-8",
        "too-small",
        "too-large",
        "no-steps",
        "unknown-sampler",
        "no-prompts",
        "only-negative",
        "cfg-not-a-number",
        "negative-seed",
    ],
)
def test_invalid_parameters_are_a_model_error(sagemaker, payload):
    with pytest.raises(sagemaker.exceptions.ModelError) as error:
        invoke(sagemaker, **payload)
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 424


def test_a_payload_over_6_mb_gets_413(sagemaker):
    with pytest.raises(ClientError) as error:
        invoke(sagemaker, init_image="A" * (6 * 1024 * 1024))
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 413


def test_a_bound_the_stand_in_chose_is_reported_as_the_stand_ins():
    from workflow.standins.sagemaker import parse_payload

    with pytest.raises(AwsError) as raised:
        parse_payload(json.dumps({"text_prompts": [{"text": "a cat"}], "steps": 500}).encode())
    assert "local SDXL stand-in" in raised.value.message
