"""Amazon Bedrock Guardrails as a second opinion: the guardrail's content filters, and
what an ApplyGuardrail answer decides. Pure logic.

The filter table is the one home of the guardrail's configuration: the CDK stack
creates the guardrail from it and the local stand-in judges with it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

GuardrailSource = Literal["INPUT", "OUTPUT"]
Strength = Literal["NONE", "LOW", "MEDIUM", "HIGH"]

# Filter type -> (input strength, output strength). Prompt attack concerns inputs only,
# so its output strength must be NONE. Violence, insults and misconduct are MEDIUM: the
# service's own checks already stop what is clearly harmful, and a second opinion at HIGH
# would refuse war paintings, boxing and horror art that the product means to draw.
FILTER_STRENGTHS: Mapping[str, tuple[Strength, Strength]] = {
    "SEXUAL": ("HIGH", "HIGH"),
    "VIOLENCE": ("MEDIUM", "MEDIUM"),
    "HATE": ("HIGH", "HIGH"),
    "INSULTS": ("MEDIUM", "MEDIUM"),
    "MISCONDUCT": ("MEDIUM", "MEDIUM"),
    "PROMPT_ATTACK": ("HIGH", "NONE"),
}
FILTER_TYPES: tuple[str, ...] = tuple(FILTER_STRENGTHS)

_RANK = {"NONE": 0, "LOW": 1, "MEDIUM": 2, "HIGH": 3}


def strength_blocks(confidence: str, strength: str) -> bool:
    """As Bedrock applies a filter: HIGH strength blocks LOW, MEDIUM and HIGH confidence,
    MEDIUM blocks MEDIUM and HIGH, LOW blocks HIGH only, NONE blocks nothing."""
    if strength == "NONE" or confidence == "NONE":
        return False
    return _RANK[confidence] >= 4 - _RANK[strength]


@dataclass(frozen=True)
class BlockedFilter:
    type: str
    confidence: str
    strength: str


@dataclass(frozen=True)
class GuardrailVerdict:
    intervened: bool
    blocked: tuple[BlockedFilter, ...]
    # usage.contentPolicyImageUnits: 0 for an image means it was never assessed.
    image_units: int


class GuardrailAnswerInvalid(ValueError):
    """The answer does not say what the guardrail decided; never read as a pass."""


def guardrail_verdict(response: Mapping[str, Any]) -> GuardrailVerdict:
    """What an ApplyGuardrail answer decided, and which content filters blocked."""
    action = response.get("action")
    if action not in ("NONE", "GUARDRAIL_INTERVENED"):
        raise GuardrailAnswerInvalid(f"unknown guardrail action {action!r}")
    blocked = [
        BlockedFilter(
            type=str(item.get("type", "")),
            confidence=str(item.get("confidence", "")),
            strength=str(item.get("filterStrength", "")),
        )
        for assessment in response.get("assessments", [])
        for item in (assessment.get("contentPolicy") or {}).get("filters", [])
        if item.get("action") == "BLOCKED"
    ]
    usage = response.get("usage") or {}
    return GuardrailVerdict(
        intervened=action == "GUARDRAIL_INTERVENED",
        blocked=tuple(blocked),
        image_units=int(usage.get("contentPolicyImageUnits", 0) or 0),
    )


def guardrail_reason(verdict: GuardrailVerdict, what: str) -> str:
    """The refusal's text, naming each filter that blocked."""
    named = ", ".join(f"{f.type} (confidence {f.confidence}, strength {f.strength})" for f in verdict.blocked)
    return f"Amazon Bedrock Guardrails intervened on the {what}: {named or 'no filter named'}."


def check_update(verdict: GuardrailVerdict, what: str) -> dict[str, Any]:
    """The fields the guardrail's verdict sets on the check of the prompt or the image
    (`what`): its action and filters always, and a refusal when it intervened."""
    update: dict[str, Any] = {
        "guardrail_action": "GUARDRAIL_INTERVENED" if verdict.intervened else "NONE",
        "guardrail_filters": [blocked.type for blocked in verdict.blocked],
    }
    if verdict.intervened:
        update |= {
            "safe": False,
            "reason_code": "GUARDRAIL_INTERVENED",
            "reason": guardrail_reason(verdict, what),
        }
    return update
