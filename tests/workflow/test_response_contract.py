"""The ASL's Pass states build the API's 200 and 422 bodies: they are exactly
the contract's ApprovedResponse and RejectedResponse, field for field."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from text2image.contract import ApprovedResponse, RejectedResponse
from workflow.local.environment import LocalEnvironment
from workflow.standins.admin import inject_fault

BENIGN = "a lighthouse on a rocky coast at sunset"
TOXIC = "you are a worthless idiot and I will hurt you"


def assert_exactly(model: type[BaseModel], body: dict) -> None:
    # Validation ignores unknown fields, so the round trip also catches a field the contract lacks.
    assert model.model_validate(body).model_dump(mode="json", exclude_unset=True) == body


def test_an_approved_run_answers_an_approved_response(env: LocalEnvironment):
    result = env.run({"prompt": BENIGN, "seed": 7})
    assert result.http_status == 200
    assert_exactly(ApprovedResponse, result.body)


@pytest.mark.parametrize("stage", ["prompt", "image"])
def test_a_rejected_run_answers_a_rejected_response(env: LocalEnvironment, stage):
    if stage == "image":
        inject_fault(env.standins_url, "rekognition", "flag")
    result = env.run({"prompt": TOXIC if stage == "prompt" else BENIGN})
    assert result.http_status == 422
    assert result.body["stage"] == stage
    assert_exactly(RejectedResponse, result.body)
