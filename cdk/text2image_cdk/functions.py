"""The Lambda functions, one per catalogue entry, each with its own role and log group."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from text2image.catalogue import FUNCTIONS, FunctionSpec
from text2image.config import FunctionConfig
from text2image.observability import NAMESPACE, SERVICE

from .paths import LAMBDA_ASSET_EXCLUDE, LAMBDAS_DIR

RUNTIME = lambda_.Runtime.PYTHON_3_14
ARCHITECTURE = lambda_.Architecture.X86_64

# Lambda gives CPU in proportion to memory; 1,769 MB is one full vCPU. The two image
# functions watermark, sign or read up to 50-megapixel images with numpy and Pillow: at
# 256 MB (a seventh of a vCPU) marking a 1024x1024 image takes seconds, and reading a
# photograph of a phone's size runs out of memory.
ONE_VCPU_MB = 1769
MEMORY: dict[str, int] = {"GenerateImage": 512, "MarkProvenance": ONE_VCPU_MB, "VerifyApi": ONE_VCPU_MB}
DEFAULT_MEMORY = 256


def _env_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple | list):
        return ",".join(str(item) for item in value)
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True)
    return str(value)


def function_environment(
    config: type[FunctionConfig], provided: Mapping[str, str], overrides: Mapping[str, str]
) -> dict[str, str]:
    """Every variable the function's config reads, set explicitly: stack values
    (bucket, endpoint), then context overrides, then the config's own defaults
    (or the values it derives, such as the job queue's depth from the capacity).
    Validated with the function's own config class, so a bad threshold fails the
    synth with the variable's name instead of the deployed function's cold start."""
    environment: dict[str, str] = {}
    for variable in config.ENV.values():
        if variable in provided:
            environment[variable] = provided[variable]
        elif variable in overrides:
            environment[variable] = overrides[variable]
    validated = config.from_env(environment)
    for field_name, variable in config.ENV.items():
        environment.setdefault(variable, _env_value(getattr(validated, field_name)))
    return environment


def powertools_parameter_name(version: str) -> str:
    """The public SSM parameter holding the Powertools layer ARN for this runtime,
    architecture and version (or `latest`)."""
    python = f"python{RUNTIME.name.removeprefix('python')}"
    return f"/aws/service/powertools/python/{ARCHITECTURE.name}/{python}/{version}"


def powertools_layer_arn(scope: Construct, version: str, layer_arn: str | None) -> str:
    if layer_arn:
        return layer_arn
    # Powertools publishes each layer version's ARN as a public SSM parameter;
    # CloudFormation resolves it at deploy time, so the synth needs no lookup.
    return ssm.StringParameter.value_for_string_parameter(scope, powertools_parameter_name(version))


class Functions(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        provided_environment: Mapping[str, str],
        overrides: Mapping[str, str],
        powertools_version: str,
        powertools_layer: str | None,
        log_retention_days: int,
    ) -> None:
        super().__init__(scope, construct_id)
        unknown = sorted(set(overrides) - {v for spec in FUNCTIONS for v in spec.config.env_names()})
        if unknown:
            raise ValueError(f"functionEnvironment names variables no function reads: {unknown}")
        layer = lambda_.LayerVersion.from_layer_version_arn(
            self, "Powertools", powertools_layer_arn(self, powertools_version, powertools_layer)
        )
        code = lambda_.Code.from_asset(str(LAMBDAS_DIR), exclude=LAMBDA_ASSET_EXCLUDE)
        self.by_name: dict[str, lambda_.Function] = {}
        self.roles: dict[str, iam.Role] = {}
        for spec in FUNCTIONS:
            self.by_name[spec.name] = self._function(
                spec, code, layer, provided_environment, overrides, log_retention_days
            )

    def _function(
        self,
        spec: FunctionSpec,
        code: lambda_.Code,
        layer: lambda_.ILayerVersion,
        provided: Mapping[str, str],
        overrides: Mapping[str, str],
        log_retention_days: int,
    ) -> lambda_.Function:
        log_group = logs.LogGroup(
            self,
            f"{spec.name}Logs",
            retention=retention(log_retention_days),
            removal_policy=RemovalPolicy.DESTROY,
        )
        # Its own role: only its log group here; the stack grants its AWS actions.
        role = iam.Role(
            self,
            f"{spec.name}Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"{spec.name}: {spec.description}",
        )
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["logs:CreateLogStream", "logs:PutLogEvents"], resources=[log_group.log_group_arn]
            )
        )
        self.roles[spec.name] = role
        environment = function_environment(spec.config, provided, overrides)
        environment |= {
            "POWERTOOLS_SERVICE_NAME": SERVICE,
            "POWERTOOLS_METRICS_NAMESPACE": NAMESPACE,
            "POWERTOOLS_LOG_LEVEL": "INFO",
        }
        return lambda_.Function(
            self,
            spec.name,
            description=spec.description,
            runtime=RUNTIME,
            architecture=ARCHITECTURE,
            handler=spec.handler,
            code=code,
            layers=[layer],
            role=role,
            environment=environment,
            timeout=Duration.seconds(spec.timeout_seconds),
            memory_size=MEMORY.get(spec.name, DEFAULT_MEMORY),
            tracing=lambda_.Tracing.ACTIVE,
            log_group=log_group,
        )


_RETENTIONS: dict[int, logs.RetentionDays] = {
    1: logs.RetentionDays.ONE_DAY,
    3: logs.RetentionDays.THREE_DAYS,
    7: logs.RetentionDays.ONE_WEEK,
    14: logs.RetentionDays.TWO_WEEKS,
    30: logs.RetentionDays.ONE_MONTH,
    90: logs.RetentionDays.THREE_MONTHS,
    180: logs.RetentionDays.SIX_MONTHS,
    365: logs.RetentionDays.ONE_YEAR,
}


def retention(days: int) -> logs.RetentionDays:
    """The shortest CloudWatch retention that keeps logs at least `days` (at most a year)."""
    return next((value for limit, value in _RETENTIONS.items() if limit >= days), logs.RetentionDays.ONE_YEAR)
