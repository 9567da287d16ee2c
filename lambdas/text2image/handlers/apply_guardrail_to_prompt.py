"""ApplyGuardrailToPrompt: Amazon Bedrock Guardrails' opinion on the English prompt
(source INPUT), after the service's own prompt check passed it."""

from __future__ import annotations

from typing import Any

import boto3
from aws_lambda_powertools.utilities.typing import LambdaContext

from text2image.adapters.errors import SERVICE_CLIENT_CONFIG
from text2image.adapters.guardrail import Guardrail
from text2image.config import GuardrailConfig
from text2image.contract import Label, Stage
from text2image.domain.guardrail import check_update
from text2image.handlers.common import parse_step
from text2image.models import GuardrailPromptInput
from text2image.observability import count_rejection, observed_handler

config = GuardrailConfig.from_env()
guardrail = Guardrail(
    boto3.client("bedrock-runtime", config=SERVICE_CLIENT_CONFIG),
    config.guardrail_id,
    config.guardrail_version,
)


@observed_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    step = parse_step(GuardrailPromptInput, event)
    verdict = guardrail.text(step.checked_prompts.prompt, "INPUT")
    update = check_update(verdict, "prompt")
    if verdict.intervened:
        labels = [Label(name=f"guardrail.{name}", score=1.0) for name in update["guardrail_filters"]]
        count_rejection(Stage.PROMPT, labels, "GUARDRAIL_INTERVENED")
    return step.prompt_check.model_copy(update=update).model_dump(mode="json")
