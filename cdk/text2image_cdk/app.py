"""Build the CDK app: one stack, with the cdk-nag AwsSolutions checks applied."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_cdk import App, Environment, Validations
from cdk_nag import AwsSolutionsChecks

from .settings import DeploySettings
from .stack import COST_TAG, Text2ImageStack

STACK_NAME = "Text2Image"

# Feature flags the app relies on (as a new `cdk init` would set them).
FEATURE_FLAGS: dict[str, Any] = {
    # Server access logs are delivered by a bucket policy, not by ACLs.
    "@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy": True,
}


def build_app(context: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None) -> App:
    app = App(context={**FEATURE_FLAGS, **(context or {})})
    settings = DeploySettings.from_context(app.node, environ)
    stack = Text2ImageStack(
        app,
        STACK_NAME,
        settings=settings,
        env=Environment(account=settings.account, region=settings.region),
        description="Responsible text-to-image: Comprehend -> SDXL (SageMaker) -> Rekognition -> S3",
    )
    Validations.of(app).add_plugins(AwsSolutionsChecks(app, verbose=True))
    stack.tags.set_tag(*COST_TAG)
    return app
