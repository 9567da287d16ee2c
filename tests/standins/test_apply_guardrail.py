"""The ApplyGuardrail stand-in through a real boto3 bedrock-runtime client."""

from __future__ import annotations

import io

import pytest
from botocore.exceptions import ClientError
from PIL import Image

from tests.standins.conftest import client
from workflow.standins.admin import inject_fault

SCENE = Image.linear_gradient("L").resize((320, 240)).convert("RGB")


@pytest.fixture
def bedrock(standins):
    return client("bedrock-runtime", standins)


def png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def apply(bedrock, source, content):
    return bedrock.apply_guardrail(
        guardrailIdentifier="local-guardrail", guardrailVersion="1", source=source, content=content
    )


def test_a_benign_text_passes_in_bedrocks_shape(bedrock):
    response = apply(bedrock, "INPUT", [{"text": {"text": "a jaguar in the rainforest"}}])

    assert response["action"] == "NONE" and response["outputs"] == []
    assert response["usage"]["contentPolicyUnits"] == 1 and response["usage"]["contentPolicyImageUnits"] == 0


def test_a_sexual_text_is_blocked_by_the_toxicity_model_behind_it(bedrock):
    response = apply(bedrock, "INPUT", [{"text": {"text": "a naked woman having sex, explicit porn"}}])

    assert response["action"] == "GUARDRAIL_INTERVENED"
    (blocked,) = [
        f for f in response["assessments"][0]["contentPolicy"]["filters"] if f["action"] == "BLOCKED"
    ]
    assert (blocked["type"], blocked["filterStrength"]) == ("SEXUAL", "HIGH")


def test_an_image_is_assessed_and_counted_as_an_image_unit(bedrock):
    response = apply(bedrock, "OUTPUT", [{"image": {"format": "png", "source": {"bytes": png(SCENE)}}}])

    assert response["action"] == "NONE"
    assert response["usage"]["contentPolicyImageUnits"] == 1
    assert response["guardrailCoverage"]["images"] == {"guarded": 1, "total": 1}


def test_an_intervention_can_be_injected_and_faults_answer_as_bedrock_does(bedrock, standins):
    inject_fault(standins.standins_url, "bedrock", "intervene", filter_type="PROMPT_ATTACK")
    assert apply(bedrock, "INPUT", [{"text": {"text": "hello"}}])["action"] == "GUARDRAIL_INTERVENED"

    inject_fault(standins.standins_url, "bedrock", "throttle")
    with pytest.raises(ClientError) as raised:
        apply(bedrock, "INPUT", [{"text": {"text": "hello"}}])
    assert raised.value.response["Error"]["Code"] == "ThrottlingException"


def test_an_unreadable_image_is_refused(bedrock):
    with pytest.raises(ClientError) as raised:
        apply(bedrock, "OUTPUT", [{"image": {"format": "png", "source": {"bytes": b"not an image"}}}])
    assert raised.value.response["Error"]["Code"] == "ValidationException"
