"""What `make deploy` creates, counted from the synthesized template.

docs/deploy.md lists the stack's resources between two markers. The list is
this module's output, not prose: `python -m workflow.ops.inventory --write`
synthesizes the stack offline, counts its resources by CloudFormation type,
names each project function from the catalogue, and rewrites that section. A
test keeps the checked-in section equal to what this renders.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections import Counter
from collections.abc import Mapping
from typing import Any

from repo_paths import REPO_ROOT
from text2image.catalogue import FUNCTIONS

DEPLOY_DOC = REPO_ROOT / "docs" / "deploy.md"
BEGIN = "<!-- BEGIN generated: resources -->"
END = "<!-- END generated: resources -->"

# What `cdk deploy` synthesizes with cdk.json's defaults: the caller's account,
# the default Region. Any concrete account gives the same resources.
DEPLOY_CONTEXT: dict[str, Any] = {"account": "123456789012", "region": "us-east-1"}

# Plain names; a type not listed here is shown by its type alone.
PLAIN_NAMES: dict[str, str] = {
    "AWS::Lambda::Function": "Lambda functions",
    "AWS::Lambda::LayerVersion": "Lambda layers",
    "AWS::Lambda::Permission": "Lambda invoke permissions",
    "AWS::DynamoDB::Table": "DynamoDB tables",
    "AWS::Events::Rule": "EventBridge schedules",
    "AWS::StepFunctions::StateMachine": "Step Functions state machines (Express)",
    "AWS::S3::Bucket": "S3 buckets",
    "AWS::S3::BucketPolicy": "S3 bucket policies",
    "AWS::SageMaker::Model": "SageMaker model",
    "AWS::SageMaker::EndpointConfig": "SageMaker endpoint configuration",
    "AWS::SageMaker::Endpoint": "SageMaker endpoint (SDXL)",
    "AWS::SageMaker::InferenceComponent": "SageMaker inference component",
    "AWS::ApiGateway::RestApi": "API Gateway REST API",
    "AWS::ApiGateway::Stage": "API Gateway stage",
    "AWS::ApiGateway::Method": "API Gateway methods",
    "AWS::ApiGateway::Resource": "API Gateway paths",
    "AWS::ApiGateway::Model": "API Gateway request models",
    "AWS::ApiGateway::ApiKey": "API Gateway API key",
    "AWS::ApiGateway::Account": "API Gateway account setting (its CloudWatch role)",
    "AWS::ApiGateway::Deployment": "API Gateway deployment",
    "AWS::ApiGateway::GatewayResponse": "API Gateway error answers",
    "AWS::ApiGateway::RequestValidator": "API Gateway request validator",
    "AWS::ApiGateway::UsagePlan": "API Gateway usage plan",
    "AWS::CloudFront::Distribution": "CloudFront distribution (the page)",
    "AWS::CloudFront::OriginAccessControl": "CloudFront access to the page's bucket",
    "AWS::CloudFront::ResponseHeadersPolicy": "CloudFront security headers",
    "AWS::CloudWatch::Alarm": "CloudWatch alarms",
    "AWS::CloudWatch::Dashboard": "CloudWatch dashboard",
    "AWS::Logs::LogGroup": "CloudWatch log groups",
    "AWS::Logs::MetricFilter": "CloudWatch metric filters",
    "AWS::KMS::Key": "KMS keys",
    "AWS::SNS::Topic": "SNS topic (alarms)",
    "AWS::SNS::TopicPolicy": "SNS topic policy (TLS only)",
    "AWS::IAM::Role": "IAM roles",
    "AWS::IAM::Policy": "IAM policies",
    "AWS::ApplicationAutoScaling::ScalableTarget": "Auto Scaling targets",
    "AWS::ApplicationAutoScaling::ScalingPolicy": "Auto Scaling policies",
    "Custom::CDKBucketDeployment": "CDK upload of the page to its bucket",
    "Custom::S3AutoDeleteObjects": "CDK emptying of a bucket on destroy",
}


def synthesize_template(context: Mapping[str, Any] = DEPLOY_CONTEXT) -> dict[str, Any]:
    """The stack's template, synthesized offline exactly as the tests do."""
    os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
    from cdk.text2image_cdk.app import STACK_NAME, build_app

    return build_app(context, environ={}).synth().get_stack_by_name(STACK_NAME).template


def render(template: Mapping[str, Any]) -> str:
    """The markdown between the markers: a count per type, then the functions."""
    resources = template["Resources"].values()
    counts = Counter(resource["Type"] for resource in resources)
    lines = [
        f"{sum(counts.values())} resources of {len(counts)} types"
        f" (`python -m workflow.ops.inventory` synthesizes the stack with {_context_text()}):",
        "",
        "| what | CloudFormation type | count |",
        "|---|---|---|",
        *(f"| {PLAIN_NAMES.get(t, '')} | `{t}` | {counts[t]} |" for t in sorted(counts)),
        "",
        *_functions(template),
    ]
    return "\n".join(lines)


def _context_text() -> str:
    return ", ".join(f"`{key}={value}`" for key, value in DEPLOY_CONTEXT.items())


def _functions(template: Mapping[str, Any]) -> list[str]:
    by_handler = {spec.handler: spec.name for spec in FUNCTIONS}
    ours: list[tuple[str, str]] = []
    helpers = 0
    for resource in template["Resources"].values():
        if resource["Type"] != "AWS::Lambda::Function":
            continue
        properties = resource["Properties"]
        name = by_handler.get(properties.get("Handler", ""))
        if name is None:
            helpers += 1
        else:
            ours.append((name, str(properties.get("Description", ""))))
    return [
        f"The Lambda functions: {len(ours)} from `lambdas/` (`lambdas/text2image/catalogue.py`)"
        f" and {helpers} of CDK's own helpers (the custom resources above).",
        "",
        "| function | what it does |",
        "|---|---|",
        *(f"| `{name}` | {description} |" for name, description in ours),
    ]


def replace_section(document: str, section: str) -> str:
    pattern = re.compile(re.escape(BEGIN) + r".*?" + re.escape(END), re.DOTALL)
    if not pattern.search(document):
        raise ValueError(f"{DEPLOY_DOC.name} has no {BEGIN} … {END} markers")
    return pattern.sub(lambda _: f"{BEGIN}\n{section}\n{END}", document, count=1)


def checked_in_section(document: str) -> str:
    match = re.search(re.escape(BEGIN) + r"\n(.*?)\n" + re.escape(END), document, re.DOTALL)
    return match.group(1) if match else ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help=f"rewrite the section in {DEPLOY_DOC}")
    args = parser.parse_args(argv)
    section = render(synthesize_template())
    if not args.write:
        print(section)
        return 0
    document = DEPLOY_DOC.read_text()
    DEPLOY_DOC.write_text(replace_section(document, section))
    print(f"wrote {DEPLOY_DOC.relative_to(REPO_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
