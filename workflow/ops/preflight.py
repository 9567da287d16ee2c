"""`python -m workflow preflight [CDK_ARGS]`: what `make deploy` checks before it calls CloudFormation.

Each check says what it found and, when it fails, how to fix it. The settings are
the CDK app's own (cdk.json's context, then the `-c key=value` arguments, then the
environment), so the checks concern exactly what `cdk deploy` would deploy:

- credentials resolve (STS GetCallerIdentity), and to the account `-c account` names;
- the Region offers Comprehend toxicity detection, Rekognition moderation and,
  unless prompts are not translated, Translate (documented table: cdk/text2image_cdk/regions.py);
- the CDK bootstrap stack is there and new enough (SSM /cdk-bootstrap/<qualifier>/version);
- the pinned Powertools layer's public SSM parameter exists in the Region;
- the SageMaker quota "<instance type> for endpoint usage" covers minInstances
  (skipped with existingEndpointName).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from aws_cdk import DefaultStackSynthesizer
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, NoRegionError

from cdk.text2image_cdk.regions import SERVICE_REGIONS, TRANSLATE, WORKFLOW_REGIONS, missing_services
from cdk.text2image_cdk.settings import DeploySettings, SettingsError
from repo_paths import REPO_ROOT

CDK_JSON = REPO_ROOT / "cdk.json"
# The default synthesizer's, as the stack uses it: /cdk-bootstrap/hnb659fds/version.
BOOTSTRAP_VERSION_PARAMETER = DefaultStackSynthesizer.DEFAULT_BOOTSTRAP_STACK_VERSION_SSM_PARAMETER.replace(
    "${Qualifier}", DefaultStackSynthesizer.DEFAULT_QUALIFIER
)
# The `requiresBootstrapStackVersion` of the synthesized stack and asset artifacts
# for the pinned aws-cdk-lib (a test compares, so an upgrade that raises it is
# noticed). The manifest's lookup role asks for 8, but the app makes no lookups.
MIN_BOOTSTRAP_VERSION = 6
# The setting the translation of prompts adds; "false" switches the Translate check off.


@dataclass(frozen=True)
class Check:
    name: str
    passed: bool | None  # None: skipped, with the reason as message
    message: str
    fix: str = ""

    def render(self) -> str:
        mark = {True: "ok  ", False: "FAIL", None: "skip"}[self.passed]
        lines = [f"[{mark}] {self.name}: {self.message}"]
        if self.fix and self.passed is False:
            lines.append(f"       fix: {self.fix}")
        return "\n".join(lines)


# --- Reading the CDK app's settings --------------------------------------------------


def parse_cdk_args(argv: Sequence[str]) -> tuple[dict[str, Any], str | None]:
    """The `-c key=value` context and `--profile` of a CDK command line; other flags are the CLI's."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("-c", "--context", action="append", default=[])
    parser.add_argument("--profile")
    known, _ = parser.parse_known_args(list(argv))
    context: dict[str, Any] = {}
    for item in known.context:
        key, sep, value = item.partition("=")
        if not sep:
            raise SettingsError(f"-c {item!r} is not key=value")
        context[key] = value
    return context, known.profile


def cdk_context(arguments: Mapping[str, Any], cdk_json: Path = CDK_JSON) -> dict[str, Any]:
    """cdk.json's context overridden by the command line's, as the CDK CLI merges them."""
    defaults = json.loads(cdk_json.read_text()).get("context", {}) if cdk_json.exists() else {}
    return {**defaults, **arguments}


# --- The checks ---------------------------------------------------------------------


def check_credentials(sts: Any, expected_account: str | None) -> tuple[Check, str | None]:
    name = "credentials"
    fix = "configure credentials (aws configure, aws sso login, or AWS_PROFILE=...) and retry"
    try:
        identity = sts.get_caller_identity()
    except (NoCredentialsError, NoRegionError) as error:
        return Check(name, False, f"no usable AWS credentials ({error})", fix), None
    except (ClientError, BotoCoreError) as error:
        return Check(name, False, f"STS GetCallerIdentity failed: {error}", fix), None
    account = str(identity["Account"])
    if expected_account and expected_account != account:
        return (
            Check(
                name,
                False,
                f"the credentials are for account {account}, but -c account={expected_account}",
                "use credentials for that account, or drop -c account",
            ),
            account,
        )
    return Check(name, True, f"account {account} as {identity['Arn']}"), account


def check_region(region: str, translate: bool) -> Check:
    name = f"services in {region}"
    missing = missing_services(region, translate)
    if not missing:
        services = "Comprehend toxicity, Rekognition moderation" + (", Translate" if translate else "")
        return Check(name, True, f"{services} offered")
    choices = sorted(WORKFLOW_REGIONS & (SERVICE_REGIONS[TRANSLATE] if translate else WORKFLOW_REGIONS))
    return Check(
        name,
        False,
        f"{region} does not offer {', '.join(missing)} (cdk/text2image_cdk/regions.py)",
        f"deploy to one of {choices} (AWS_REGION=... or CDK_ARGS='-c region=...')",
    )


def _parameter(ssm: Any, name: str) -> str | None:
    try:
        return str(ssm.get_parameter(Name=name)["Parameter"]["Value"])
    except ClientError as error:
        if error.response["Error"]["Code"] == "ParameterNotFound":
            return None
        raise


def check_bootstrap(ssm: Any, account: str | None, region: str) -> Check:
    name = "CDK bootstrap"
    command = f"npx --no-install cdk bootstrap aws://{account or 'ACCOUNT'}/{region}"
    try:
        value = _parameter(ssm, BOOTSTRAP_VERSION_PARAMETER)
    except (ClientError, BotoCoreError) as error:
        return Check(name, False, f"cannot read {BOOTSTRAP_VERSION_PARAMETER}: {error}", command)
    if value is None:
        return Check(
            name, False, f"{region} is not bootstrapped ({BOOTSTRAP_VERSION_PARAMETER} missing)", command
        )
    if not value.isdigit() or int(value) < MIN_BOOTSTRAP_VERSION:
        return Check(
            name,
            False,
            f"bootstrap version {value}; this CDK needs {MIN_BOOTSTRAP_VERSION} or newer",
            f"upgrade it: {command}",
        )
    return Check(name, True, f"version {value} (needs {MIN_BOOTSTRAP_VERSION}+)")


def check_powertools_layer(ssm: Any, settings: DeploySettings, parameter_name: str, region: str) -> Check:
    name = "Powertools layer"
    if settings.powertools_layer_arn:
        return Check(name, None, f"the given layer {settings.powertools_layer_arn} is used")
    fix = (
        "the public parameters can lag a release (powertools-lambda-python issue #7689): pass "
        "CDK_ARGS='-c powertoolsVersion=latest' (the newest layer published in the Region) or "
        "CDK_ARGS='-c powertoolsLayerArn=arn:aws:lambda:<region>:017000801446:layer:<name>:<version>' "
        "(the layer list in the Powertools docs)"
    )
    try:
        value = _parameter(ssm, parameter_name)
    except (ClientError, BotoCoreError) as error:
        return Check(name, False, f"cannot read {parameter_name}: {error}", fix)
    if value is None:
        return Check(name, False, f"{parameter_name} does not exist in {region}", fix)
    return Check(name, True, f"{parameter_name} -> {value}")


def endpoint_quota(quotas: Any, instance_type: str) -> float | None:
    wanted = f"{instance_type} for endpoint usage"
    for page in quotas.get_paginator("list_service_quotas").paginate(ServiceCode="sagemaker"):
        for quota in page["Quotas"]:
            if quota["QuotaName"] == wanted:
                return float(quota["Value"])
    return None


def check_endpoint_quota(quotas: Any, settings: DeploySettings) -> Check:
    name = "endpoint quota"
    if settings.existing_endpoint_name:
        return Check(
            name, None, f"existing endpoint {settings.existing_endpoint_name!r}: no instances are created"
        )
    quota_name = f"{settings.instance_type} for endpoint usage"
    fix = (
        f"request at least {settings.max_instances} for '{quota_name}' in Service Quotas (SageMaker), "
        "or choose another CDK_ARGS='-c instanceType=...'"
    )
    try:
        value = endpoint_quota(quotas, settings.instance_type)
    except (ClientError, BotoCoreError) as error:
        return Check(name, False, f"cannot read Service Quotas: {error}", fix)
    if value is None:
        return Check(name, False, f"no SageMaker quota named '{quota_name}' (unknown instance type?)", fix)
    if value < settings.min_instances:
        return Check(
            name, False, f"'{quota_name}' is {value:g}, below minInstances {settings.min_instances}", fix
        )
    note = "" if value >= settings.max_instances else f"; scaling stops at {value:g}, not maxInstances"
    return Check(name, True, f"'{quota_name}' is {value:g} (minInstances {settings.min_instances}){note}")


# --- Running them -------------------------------------------------------------------


def run_checks(
    settings: DeploySettings,
    translate: bool,
    client: Callable[[str], Any],
    powertools_parameter: str,
) -> list[Check]:
    """Every check, in order; AWS calls stop after credentials fail (they would all fail alike)."""
    credentials, account = check_credentials(client("sts"), settings.account)
    checks = [credentials, check_region(settings.region, translate)]
    if account is None:
        return checks
    ssm = client("ssm")
    checks.append(check_bootstrap(ssm, account, settings.region))
    checks.append(check_powertools_layer(ssm, settings, powertools_parameter, settings.region))
    checks.append(check_endpoint_quota(client("service-quotas"), settings))
    return checks


def resolve_settings(
    argv: Sequence[str], environ: Mapping[str, str], session: Any
) -> tuple[DeploySettings, bool]:
    arguments, _ = parse_cdk_args(argv)
    context = cdk_context(arguments)
    # The CDK CLI fills CDK_DEFAULT_REGION from the profile's Region; so does the preflight.
    environment = dict(environ)
    if session.region_name and not environment.get("CDK_DEFAULT_REGION"):
        environment["CDK_DEFAULT_REGION"] = session.region_name
    settings = DeploySettings.from_lookup(context.get, environment)
    return settings, settings.translate_prompts


def main(argv: Sequence[str], environ: Mapping[str, str]) -> int:
    from cdk.text2image_cdk.functions import powertools_parameter_name
    from cdk.text2image_cdk.paths import pinned_version

    _, profile = parse_cdk_args(argv)
    session = boto3.session.Session(profile_name=profile)
    try:
        settings, translate = resolve_settings(argv, environ, session)
    except SettingsError as error:
        print(f"[FAIL] settings: {error}")
        return 1
    version = settings.powertools_version or pinned_version("aws-lambda-powertools")

    def client(service: str) -> Any:
        return session.client(service, region_name=settings.region)

    print(f"Preflight for Region {settings.region} (cdk.json context + CDK_ARGS):")
    checks = run_checks(settings, translate, client, powertools_parameter_name(version))
    for check in checks:
        print(check.render())
    failed = [check.name for check in checks if check.passed is False]
    if failed:
        print(f"Preflight failed ({', '.join(failed)}): nothing was deployed.")
        return 1
    print("Preflight passed.")
    return 0
