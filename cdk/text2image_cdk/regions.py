"""Where the AWS services the workflow calls are offered: one table, read by the
JumpStart artifact table (which Regions get a row), the stack and the preflight.

botocore's endpoint data (`Session.get_available_regions`) cannot answer this for
Comprehend: it lists every Comprehend Region, while toxicity detection
(`DetectToxicContent`) is offered in a few only. So the table is transcribed
from the AWS documentation (re-check there before adding a Region):

- Comprehend toxicity detection: Amazon Comprehend Developer Guide, "Toxicity
  detection" (https://docs.aws.amazon.com/comprehend/latest/dg/toxicity-detection.html)
  and the Region table of "Amazon Comprehend endpoints and quotas"
  (https://docs.aws.amazon.com/general/latest/gr/comprehend.html).
- Rekognition image moderation (`DetectModerationLabels`): "Amazon Rekognition
  endpoints and quotas" (https://docs.aws.amazon.com/general/latest/gr/rekognition.html).
- Translate (`TranslateText`): "Amazon Translate endpoints and quotas"
  (https://docs.aws.amazon.com/general/latest/gr/translate.html).

- Bedrock Guardrails image content filters (`-c guardrail=on`): Amazon Bedrock User
  Guide, "Block harmful images with content filters"
  (https://docs.aws.amazon.com/bedrock/latest/userguide/guardrails-mmfilter.html):
  generally available, for all six categories, in us-east-1, us-west-2, eu-central-1
  and ap-northeast-1; a preview, for hate, insults, sexual and violence only, in
  us-east-2, ap-south-1, ap-northeast-2, ap-southeast-1, ap-southeast-2, eu-west-1,
  eu-west-2 and us-gov-west-1. The stack needs the generally available filters.

Pure Python: the preflight imports it without the CDK.
"""

from __future__ import annotations

COMPREHEND_TOXICITY = "Comprehend toxicity detection"
REKOGNITION_MODERATION = "Rekognition image moderation"
TRANSLATE = "Translate"

SERVICE_REGIONS: dict[str, frozenset[str]] = {
    COMPREHEND_TOXICITY: frozenset({"us-east-1", "us-west-2", "eu-west-1", "ap-southeast-2"}),
    REKOGNITION_MODERATION: frozenset(
        {
            "us-east-1",
            "us-east-2",
            "us-west-1",
            "us-west-2",
            "ca-central-1",
            "eu-central-1",
            "eu-west-1",
            "eu-west-2",
            "ap-south-1",
            "ap-northeast-1",
            "ap-northeast-2",
            "ap-southeast-1",
            "ap-southeast-2",
        }
    ),
    TRANSLATE: frozenset(
        {
            "us-east-1",
            "us-east-2",
            "us-west-1",
            "us-west-2",
            "ca-central-1",
            "eu-central-1",
            "eu-north-1",
            "eu-west-1",
            "eu-west-2",
            "eu-west-3",
            "ap-east-1",
            "ap-south-1",
            "ap-northeast-1",
            "ap-northeast-2",
            "ap-southeast-1",
            "ap-southeast-2",
        }
    ),
}

GUARDRAIL_IMAGE_FILTERS = "Bedrock Guardrails image content filters"
GUARDRAIL_IMAGE_REGIONS: frozenset[str] = frozenset(
    {"us-east-1", "us-west-2", "eu-central-1", "ap-northeast-1"}
)
GUARDRAIL_IMAGE_PREVIEW_REGIONS: frozenset[str] = frozenset(
    {
        "us-east-2",
        "ap-south-1",
        "ap-northeast-2",
        "ap-southeast-1",
        "ap-southeast-2",
        "eu-west-1",
        "eu-west-2",
    }
)


def guardrail_region_problem(region: str) -> str | None:
    """Why `-c guardrail=on` cannot be deployed in `region`, or None when it can."""
    if region in GUARDRAIL_IMAGE_REGIONS:
        return None
    preview = (
        " (there they are a preview, without the misconduct and prompt attack categories)"
        if region in GUARDRAIL_IMAGE_PREVIEW_REGIONS
        else ""
    )
    return (
        f"context guardrail=on needs {GUARDRAIL_IMAGE_FILTERS}, which are not generally available in "
        f"{region}{preview}; they are in {sorted(GUARDRAIL_IMAGE_REGIONS)}. Choose one of those that also "
        f"runs the workflow ({sorted(GUARDRAIL_IMAGE_REGIONS & WORKFLOW_REGIONS)}) or leave guardrail off."
    )


# The workflow cannot run without both moderation services in its own Region.
WORKFLOW_REGIONS: frozenset[str] = (
    SERVICE_REGIONS[COMPREHEND_TOXICITY] & SERVICE_REGIONS[REKOGNITION_MODERATION]
)


def missing_services(region: str, translate: bool = True) -> list[str]:
    """The services the workflow needs that `region` does not offer."""
    needed = [COMPREHEND_TOXICITY, REKOGNITION_MODERATION] + ([TRANSLATE] if translate else [])
    return [service for service in needed if region not in SERVICE_REGIONS[service]]
