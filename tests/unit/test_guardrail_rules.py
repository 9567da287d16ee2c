"""What an ApplyGuardrail answer decides, and how a filter's strength blocks."""

from __future__ import annotations

import pytest

from text2image.domain.guardrail import (
    FILTER_STRENGTHS,
    GuardrailAnswerInvalid,
    check_update,
    guardrail_reason,
    guardrail_verdict,
    strength_blocks,
)


@pytest.mark.parametrize(
    ("confidence", "strength", "blocks"),
    [
        ("LOW", "HIGH", True),
        ("LOW", "MEDIUM", False),
        ("MEDIUM", "MEDIUM", True),
        ("MEDIUM", "LOW", False),
        ("HIGH", "LOW", True),
        ("HIGH", "NONE", False),
        ("NONE", "HIGH", False),
    ],
)
def test_a_filter_blocks_as_bedrock_documents_its_strengths(confidence, strength, blocks):
    assert strength_blocks(confidence, strength) is blocks


def test_prompt_attack_is_judged_on_inputs_only():
    assert FILTER_STRENGTHS["PROMPT_ATTACK"][1] == "NONE"


def test_an_intervention_names_only_the_filters_that_blocked():
    verdict = guardrail_verdict(
        {
            "action": "GUARDRAIL_INTERVENED",
            "assessments": [
                {
                    "contentPolicy": {
                        "filters": [
                            {
                                "type": "VIOLENCE",
                                "confidence": "LOW",
                                "filterStrength": "MEDIUM",
                                "action": "NONE",
                            },
                            {
                                "type": "SEXUAL",
                                "confidence": "HIGH",
                                "filterStrength": "HIGH",
                                "action": "BLOCKED",
                            },
                        ]
                    }
                }
            ],
            "usage": {"contentPolicyImageUnits": 1},
        }
    )
    assert verdict.intervened and [f.type for f in verdict.blocked] == ["SEXUAL"]
    assert verdict.image_units == 1
    assert "SEXUAL (confidence HIGH, strength HIGH)" in guardrail_reason(verdict, "image")


def test_an_answer_without_a_known_action_is_never_read_as_a_pass():
    with pytest.raises(GuardrailAnswerInvalid):
        guardrail_verdict({"assessments": []})


def test_the_check_update_refuses_only_when_the_guardrail_intervened():
    blocked = {"type": "HATE", "confidence": "HIGH", "filterStrength": "HIGH", "action": "BLOCKED"}
    intervened = guardrail_verdict(
        {
            "action": "GUARDRAIL_INTERVENED",
            "assessments": [{"contentPolicy": {"filters": [blocked]}}],
            "usage": {"contentPolicyUnits": 1},
        }
    )
    update = check_update(intervened, "prompt")
    assert (update["safe"], update["reason_code"], update["guardrail_filters"]) == (
        False,
        "GUARDRAIL_INTERVENED",
        ["HATE"],
    )
    passed = guardrail_verdict({"action": "NONE", "assessments": [], "usage": {"contentPolicyUnits": 1}})
    assert check_update(passed, "prompt") == {"guardrail_action": "NONE", "guardrail_filters": []}
