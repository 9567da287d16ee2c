"""Amazon Bedrock Guardrails (`-c guardrail=on`): a guardrail whose content filters judge
text and images, and a version of it for the workflow to call."""

from __future__ import annotations

from aws_cdk import aws_bedrock as bedrock
from constructs import Construct

from text2image.domain.guardrail import FILTER_STRENGTHS

BLOCKED_MESSAGE = "The request was blocked by the service's content policy."


class SecondOpinionGuardrail(Construct):
    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        filters = [
            bedrock.CfnGuardrail.ContentFilterConfigProperty(
                type=filter_type,
                input_strength=input_strength,
                output_strength=output_strength,
                # Prompt attack concerns the text a user sends; images come out of SDXL.
                input_modalities=["TEXT"] if filter_type == "PROMPT_ATTACK" else ["TEXT", "IMAGE"],
                output_modalities=["TEXT"] if filter_type == "PROMPT_ATTACK" else ["TEXT", "IMAGE"],
            )
            for filter_type, (input_strength, output_strength) in FILTER_STRENGTHS.items()
        ]
        self.guardrail = bedrock.CfnGuardrail(
            self,
            "Guardrail",
            name="text2image-second-opinion",
            description="Content filters on the English prompt (INPUT) and the generated image (OUTPUT).",
            blocked_input_messaging=BLOCKED_MESSAGE,
            blocked_outputs_messaging=BLOCKED_MESSAGE,
            content_policy_config=bedrock.CfnGuardrail.ContentPolicyConfigProperty(filters_config=filters),
        )
        # The workflow calls a fixed version, so editing the draft changes nothing deployed.
        self.version = bedrock.CfnGuardrailVersion(
            self, "Version", guardrail_identifier=self.guardrail.attr_guardrail_id
        )
        self.arn = self.guardrail.attr_guardrail_arn
        self.guardrail_id = self.guardrail.attr_guardrail_id
        self.version_number = self.version.attr_version
