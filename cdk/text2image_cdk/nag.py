"""cdk-nag AwsSolutions acknowledgements and checkov per-resource skips, each with
the reason the finding does not apply here.

Each is scoped to the construct it concerns and, for IAM5, to the one resource
pattern it accepts: a new wildcard anywhere else still fails `make lint`. The
checks skipped for every resource of a kind are listed, with reasons, in the
Makefile's CHECKOV_SKIP.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from aws_cdk import Acknowledgment, CfnResource, DefaultStackSynthesizer, Stack, Validations
from constructs import IConstruct

from text2image.domain.storage import (
    PUBLISHED_PREFIX,
    QUARANTINE_PREFIX,
    STAGING_PREFIX,
    VERIFY_UPLOAD_PREFIX,
)

if TYPE_CHECKING:
    from .stack import Text2ImageStack

XRAY = (
    "X-Ray PutTraceSegments/PutTelemetryRecords support no resource-level permissions "
    "(Resource: * is required)."
)
ASSET_FUNCTION_PREFIX = "Custom::CDKBucketDeployment"


def acknowledge(construct: IConstruct, rule: str, reason: str) -> None:
    Validations.of(construct).acknowledge(
        Acknowledgment(id=f"AwsSolutions::AwsSolutions-{rule}", reason=reason)
    )


def checkov_skip(construct: IConstruct, check: str, comment: str) -> None:
    resource = construct if isinstance(construct, CfnResource) else construct.node.default_child
    assert isinstance(resource, CfnResource)
    metadata = resource.get_metadata("checkov") or {"skip": []}
    metadata["skip"].append({"id": check, "comment": comment})
    resource.add_metadata("checkov", metadata)


def finding_text(stack: Stack, value: str) -> str:
    """How cdk-nag prints a (possibly tokenized) value in a finding id, e.g.
    `arn:<AWS::Partition>:logs:us-east-1:<AWS::AccountId>:log-group:...` when the
    account is unknown and `...:123456789012:...` when it is concrete.

    The value is resolved in the stack, as cdk-nag resolves it, then flattened as
    cdk-nag 3's `flattenCfnReference` does (Join -> joined, Ref -> `<X>`, GetAtt ->
    `<X.Attr>`, Sub -> `${X}` as `<X>`). So an acknowledgement built from the same
    expression the policy uses holds for any account and Region."""
    return _flatten(stack.resolve(value))


def _flatten(node: Any) -> str:
    if isinstance(node, str):
        return node.replace("${", "<").replace("}", ">")
    if isinstance(node, dict) and node.get("Fn::Join"):
        delimiter, items = node["Fn::Join"]
        return delimiter.join(_flatten(item) for item in items)
    if isinstance(node, dict) and node.get("Fn::Sub"):
        return _flatten(node["Fn::Sub"])
    if isinstance(node, dict) and node.get("Fn::GetAtt"):
        resource, attribute = node["Fn::GetAtt"]
        return f"<{_flatten(resource)}.{_flatten(attribute)}>"
    if isinstance(node, dict) and node.get("Fn::ImportValue"):
        return _flatten(node["Fn::ImportValue"])
    if isinstance(node, dict) and node.get("Ref"):
        return f"<{_flatten(node['Ref'])}>"
    return json.dumps(node, separators=(",", ":"))


def asset_bucket_arn(stack: Stack) -> str:
    """The CDK bootstrap's file-asset bucket for this stack's account and Region
    (tokens where they are unknown), as the default synthesizer names it."""
    qualifier = (
        getattr(stack.synthesizer, "bootstrap_qualifier", None) or DefaultStackSynthesizer.DEFAULT_QUALIFIER
    )
    name = (
        DefaultStackSynthesizer.DEFAULT_FILE_ASSETS_BUCKET_NAME.replace("${Qualifier}", qualifier)
        .replace("${AWS::AccountId}", stack.account)
        .replace("${AWS::Region}", stack.region)
    )
    return f"arn:{stack.partition}:s3:::{name}"


def add_suppressions(stack: Text2ImageStack) -> None:
    images = finding_text(stack, stack.buckets.images.bucket_arn)
    prefix_reason = (
        "Objects are keyed by execution id under a fixed prefix; the grant is limited to that prefix "
        "(object keys cannot be known at deploy time)."
    )
    roles = stack.functions.roles
    checkov_skip(
        stack.buckets.access_logs,
        "CKV_AWS_18",
        "This is the access-log bucket; logging it into itself would loop.",
    )
    for table in stack.tables.by_spec.values():
        checkov_skip(
            table,
            "CKV_AWS_119",
            "Encrypted at rest with the AWS managed key: the items are leases, queue entries, jobs and "
            "Idempotency-Keys "
            "(a prompt and its answer, deleted by TTL after 24 h); a customer managed key would add cost "
            "and a key policy only.",
        )
    prompt_check = (
        "Comprehend DetectDominantLanguage/DetectToxicContent/DetectEntities have no resource-level "
        "permissions, so "
        "Resource: * is required. "
    )
    if stack.settings.translate_prompts:
        prompt_check += (
            "Translate TranslateText used without custom terminology or parallel data names no resource, "
            "so Resource: * is required. "
        )
    only_star = {
        "CheckPromptToxicity": prompt_check + XRAY,
        "CheckToxicityApi": prompt_check + XRAY,
        "ModerateImage": "Rekognition DetectModerationLabels has no resource-level permissions, "
        "so Resource: * is required. " + XRAY,
        "RecognizeCelebrities": (
            "Rekognition RecognizeCelebrities has no resource-level permissions, so Resource: * is required. "
            if stack.settings.people != "allow"
            else ""
        )
        + XRAY,
        "ApplyGuardrailToPrompt": XRAY,
        "ApplyGuardrailToImage": XRAY,
        "GenerateImage": XRAY,
        "StoreImage": XRAY,
        "DiscardStagedImage": XRAY,
        "AcquireGenerationSlot": XRAY,
        "ReleaseGenerationSlot": XRAY,
        "RefreshGenerationCapacity": XRAY,
        "JobsApi": XRAY,
        "RunJob": XRAY,
        "ClaimIdempotencyKey": XRAY,
        "SettleIdempotencyKey": XRAY,
        "MarkProvenance": XRAY,
        "VerifyApi": XRAY,
        "ReserveQuota": XRAY,
    }
    for name, reason in only_star.items():
        acknowledge(roles[name], "IAM5[Resource::*]", reason)
    prefixes = {
        "GenerateImage": [STAGING_PREFIX],
        "ModerateImage": [STAGING_PREFIX],
        **({"RecognizeCelebrities": [STAGING_PREFIX]} if stack.settings.people != "allow" else {}),
        **({"ApplyGuardrailToImage": [STAGING_PREFIX]} if stack.settings.guardrail else {}),
        "StoreImage": [STAGING_PREFIX, PUBLISHED_PREFIX],
        "MarkProvenance": [STAGING_PREFIX],
        "DiscardStagedImage": [STAGING_PREFIX, PUBLISHED_PREFIX, QUARANTINE_PREFIX],
        "ClaimIdempotencyKey": [PUBLISHED_PREFIX],
        "VerifyApi": [VERIFY_UPLOAD_PREFIX],
    }
    for name, granted in prefixes.items():
        for prefix in granted:
            acknowledge(roles[name], f"IAM5[Resource::{images}/{prefix}*]", prefix_reason)

    if stack.endpoint is not None:
        role = stack.endpoint.role
        acknowledge(
            role,
            "IAM5[Resource::*]",
            "ecr:GetAuthorizationToken has no resource-level permissions; cloudwatch:PutMetricData has none "
            "either and is limited by a cloudwatch:namespace condition to SageMaker's namespaces.",
        )
        acknowledge(
            role,
            f"IAM5[Resource::{finding_text(stack, stack.endpoint.log_groups_arn)}]",
            "SageMaker names the endpoint's log group and streams itself; limited to endpoint log groups.",
        )

    acknowledge(
        stack.workflow.role,
        "IAM5[Resource::*]",
        "CloudWatch Logs vended-log delivery (logs:*LogDelivery, PutResourcePolicy, "
        "DescribeResourcePolicies, DescribeLogGroups) and X-Ray tracing support no "
        "resource-level permissions. " + XRAY,
    )

    api = stack.api
    cloudwatch_role = api.rest_api.node.try_find_child("CloudWatchRole")
    if cloudwatch_role is not None:
        acknowledge(
            cloudwatch_role,
            "IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]",
            "The account-level role API Gateway needs for execution logs; AWS's policy is limited to logs.",
        )
    if api.auth not in ("iam", "cognito"):
        acknowledge(
            api.rest_api,
            "APIG4",
            "A public demo API behind throttling, request validation and moderation on both sides; "
            "-c apiAuth=cognito (or iam, apiKey) switches authorisation on (see docs/deploy.md).",
        )
    if api.auth != "cognito":
        acknowledge(
            api.rest_api,
            "COG4",
            "No user pool: the API is public, or IAM/API-key protected via -c apiAuth (see docs/deploy.md).",
        )
    for method in api.public_methods:
        if api.auth in ("iam", "cognito"):
            acknowledge(
                method,
                "APIG4",
                "Verifying an image's provenance is for anyone: public by design, throttled per method "
                "and behind the WAF; generation keeps the chosen apiAuth.",
            )
        if api.auth == "cognito":
            acknowledge(method, "COG4", "Public by design: anyone may verify an image (see APIG4).")
    if stack.firewall is None:
        acknowledge(
            api.rest_api,
            "APIG3",
            "-c waf=off removed the web ACL on request; the stage is still throttled (see docs/deploy.md).",
        )
    _access_suppressions(stack)

    distribution = stack.site.distribution
    acknowledge(
        distribution,
        "CFR4",
        "The default *.cloudfront.net certificate cannot pin a TLS policy; "
        "add a custom domain and certificate to require TLSv1.2_2021.",
    )
    acknowledge(distribution, "CFR1", "The service has no country restrictions.")
    checkov_skip(distribution, "CKV_AWS_174", "Default *.cloudfront.net certificate (see cdk-nag CFR4).")
    checkov_skip(
        distribution,
        "CKV_AWS_68",
        "The distribution serves static files; the API behind it has its own web ACL on the stage (-c waf).",
    )
    checkov_skip(
        api.rest_api.deployment_stage,
        "CKV_AWS_120",
        "Every POST is a new generation for one caller: a cache would hand one caller's image to another.",
    )
    if api.auth == "none":
        for method in api.methods:
            checkov_skip(method, "CKV_AWS_59", "Public demo API by default; -c apiAuth=iam|apiKey closes it.")
    acknowledge(
        distribution,
        "CFR2",
        "The distribution serves static files; the API behind it has its own web ACL on the stage (-c waf).",
    )

    # CDK's own function that copies frontend/ into the site bucket.
    for child in stack.node.children:
        if child.node.id.startswith(ASSET_FUNCTION_PREFIX):
            acknowledge(child, "L1", "CDK's BucketDeployment function; its runtime is chosen by aws-cdk-lib.")
            acknowledge(
                child,
                "IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
                "CDK's BucketDeployment function (deploy-time only); the managed policy grants its own logs.",
            )
            for finding in (
                "Action::s3:GetObject*",
                "Action::s3:GetBucket*",
                "Action::s3:List*",
                "Action::s3:DeleteObject*",
                "Action::s3:Abort*",
                f"Resource::{finding_text(stack, stack.buckets.site.bucket_arn)}/*",
                f"Resource::{finding_text(stack, asset_bucket_arn(stack))}/*",
            ):
                acknowledge(
                    child,
                    f"IAM5[{finding}]",
                    "CDK's BucketDeployment grants (read the asset, sync the site bucket); limited to those "
                    "two buckets, deploy-time only.",
                )
            policy = child.node.try_find_child("ServiceRole")
            if policy is not None and policy.node.try_find_child("DefaultPolicy") is not None:
                checkov_skip(
                    policy.node.find_child("DefaultPolicy"),
                    "CKV_AWS_111",
                    "CDK's BucketDeployment: invalidating CloudFront has no resource-level permissions.",
                )
            acknowledge(
                child,
                "IAM5[Resource::*]",
                "CDK's BucketDeployment invalidates the distribution after an upload "
                "(cloudfront:CreateInvalidation/GetInvalidation), deploy-time only.",
            )


def _access_suppressions(stack: Text2ImageStack) -> None:
    """Who may spend the GPU: the user pool's and the web ACL's acknowledged findings."""
    if stack.sign_in is not None:
        pool = stack.sign_in.user_pool
        acknowledge(
            pool,
            "COG2",
            "The operator adds each user (self sign-up is off) and the page signs in with a password; "
            "MFA needs the hosted UI or SRP flows the page does not implement.",
        )
        acknowledge(
            pool,
            "COG3",
            "Threat protection (advanced security) is a paid add-on per active user; the users are few "
            "and operator-created, and per-user quotas bound what a stolen password can spend.",
        )
        acknowledge(
            pool,
            "COG8",
            "The Essentials plan: the Plus plan's threat protection is priced per active user (see COG3).",
        )
    if stack.firewall is not None:
        checkov_skip(
            stack.firewall.log_group,
            "CKV_AWS_158",
            "WAF logs hold request metadata only; CloudWatch Logs encrypts them at rest.",
        )
