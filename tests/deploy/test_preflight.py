"""`python -m workflow preflight`: each check's pass and fail, on botocore Stubbers
(no AWS call leaves the process)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import NoCredentialsError
from botocore.stub import Stubber

from cdk.text2image_cdk.regions import COMPREHEND_TOXICITY, SERVICE_REGIONS, TRANSLATE, missing_services
from cdk.text2image_cdk.settings import DeploySettings
from tests.infra.stack_fixtures import CONCRETE, synthesize
from workflow.ops import outputs, preflight
from workflow.ops.preflight import (
    BOOTSTRAP_VERSION_PARAMETER,
    MIN_BOOTSTRAP_VERSION,
    Check,
    check_bootstrap,
    check_credentials,
    check_endpoint_quota,
    check_powertools_layer,
    check_region,
    resolve_settings,
    run_checks,
)

ACCOUNT = "123456789012"
IDENTITY = {"Account": ACCOUNT, "Arn": f"arn:aws:iam::{ACCOUNT}:user/deployer", "UserId": "AIDAEXAMPLE"}
LAYER_PARAMETER = "/aws/service/powertools/python/x86_64/python3.14/3.37.0"
LAYER_ARN = "arn:aws:lambda:us-east-1:017000801446:layer:AWSLambdaPowertoolsPythonV3-python314-x86_64:30"


class Clients:
    """Real botocore clients (dummy credentials) with a Stubber each."""

    def __init__(self) -> None:
        session = boto3.session.Session(
            aws_access_key_id="x", aws_secret_access_key="x", region_name="us-east-1"
        )
        self.clients = {name: session.client(name) for name in ("sts", "ssm", "service-quotas")}
        self.stubs = {name: Stubber(client) for name, client in self.clients.items()}
        for stub in self.stubs.values():
            stub.activate()

    def __call__(self, service: str) -> Any:
        return self.clients[service]

    def parameter(self, name: str, value: str | None) -> None:
        if value is None:
            self.stubs["ssm"].add_client_error(
                "get_parameter", "ParameterNotFound", expected_params={"Name": name}
            )
        else:
            self.stubs["ssm"].add_response(
                "get_parameter", {"Parameter": {"Name": name, "Value": value}}, {"Name": name}
            )

    def quotas(self, *quotas: tuple[str, float]) -> None:
        self.stubs["service-quotas"].add_response(
            "list_service_quotas",
            {"Quotas": [{"QuotaName": name, "Value": value} for name, value in quotas]},
            {"ServiceCode": "sagemaker"},
        )


@pytest.fixture
def clients() -> Iterator[Clients]:
    made = Clients()
    yield made
    for stub in made.stubs.values():
        stub.assert_no_pending_responses()


def settings(**changes: Any) -> DeploySettings:
    return DeploySettings(**{"account": None, "region": "us-east-1", **changes})


# --- credentials --------------------------------------------------------------------


def test_credentials_pass_with_the_caller_identity(clients: Clients) -> None:
    clients.stubs["sts"].add_response("get_caller_identity", IDENTITY)
    check, account = check_credentials(clients("sts"), None)
    assert (check.passed, account) == (True, ACCOUNT)
    assert "deployer" in check.message


def test_missing_credentials_fail_with_how_to_configure_them() -> None:
    class NoCredentials:
        def get_caller_identity(self) -> None:
            raise NoCredentialsError()

    check, account = check_credentials(NoCredentials(), None)
    assert (check.passed, account) == (False, None)
    assert "AWS_PROFILE" in check.fix


def test_credentials_for_another_account_than_the_context_names_fail(clients: Clients) -> None:
    clients.stubs["sts"].add_response("get_caller_identity", IDENTITY)
    check, _ = check_credentials(clients("sts"), "999999999999")
    assert check.passed is False
    assert "999999999999" in check.message and ACCOUNT in check.message


# --- Region -------------------------------------------------------------------------


def test_a_region_with_every_service_passes() -> None:
    check = check_region("eu-west-1", translate=True)
    assert check.passed is True and "Translate" in check.message


def test_a_region_without_comprehend_toxicity_fails_and_names_the_regions_that_work() -> None:
    check = check_region("eu-central-1", translate=True)
    assert check.passed is False
    assert COMPREHEND_TOXICITY in check.message
    assert "us-east-1" in check.fix and "eu-central-1" not in check.fix


def test_translate_is_required_only_while_prompts_are_translated() -> None:
    region = "xx-nowhere-1"
    assert TRANSLATE in missing_services(region, translate=True)
    assert TRANSLATE not in missing_services(region, translate=False)


def test_the_documented_regions_are_regions_botocore_knows_for_each_service() -> None:
    """Guards the transcribed table against typos (botocore cannot tell toxicity Regions apart)."""
    known = {
        COMPREHEND_TOXICITY: "comprehend",
        "Rekognition image moderation": "rekognition",
        TRANSLATE: "translate",
    }
    session = boto3.session.Session()
    for service, client_name in known.items():
        assert SERVICE_REGIONS[service] <= set(session.get_available_regions(client_name)), service


# --- bootstrap ----------------------------------------------------------------------


def test_a_new_enough_bootstrap_passes(clients: Clients) -> None:
    clients.parameter(BOOTSTRAP_VERSION_PARAMETER, "30")
    assert check_bootstrap(clients("ssm"), ACCOUNT, "us-east-1").passed is True


def test_a_missing_bootstrap_fails_with_the_bootstrap_command(clients: Clients) -> None:
    clients.parameter(BOOTSTRAP_VERSION_PARAMETER, None)
    check = check_bootstrap(clients("ssm"), ACCOUNT, "us-east-1")
    assert check.passed is False
    assert check.fix == f"npx --no-install cdk bootstrap aws://{ACCOUNT}/us-east-1"


def test_an_old_bootstrap_fails(clients: Clients) -> None:
    clients.parameter(BOOTSTRAP_VERSION_PARAMETER, str(MIN_BOOTSTRAP_VERSION - 1))
    check = check_bootstrap(clients("ssm"), ACCOUNT, "us-east-1")
    assert check.passed is False and "upgrade" in check.fix


def test_the_required_bootstrap_version_is_what_the_synthesized_assembly_requires() -> None:
    manifest = json.loads((synthesize(CONCRETE).assembly_dir / "manifest.json").read_text())
    required = [
        artifact["properties"]["requiresBootstrapStackVersion"]
        for artifact in manifest["artifacts"].values()
        if "requiresBootstrapStackVersion" in artifact.get("properties", {})
    ]
    assert max(required) == MIN_BOOTSTRAP_VERSION


# --- Powertools layer ---------------------------------------------------------------


def test_the_pinned_layer_parameter_passes_when_published(clients: Clients) -> None:
    clients.parameter(LAYER_PARAMETER, LAYER_ARN)
    check = check_powertools_layer(clients("ssm"), settings(), LAYER_PARAMETER, "us-east-1")
    assert check.passed is True and LAYER_ARN in check.message


def test_an_unpublished_layer_parameter_fails_with_both_ways_round_it(clients: Clients) -> None:
    clients.parameter(LAYER_PARAMETER, None)
    check = check_powertools_layer(clients("ssm"), settings(), LAYER_PARAMETER, "us-east-1")
    assert check.passed is False
    assert "-c powertoolsLayerArn=" in check.fix and "-c powertoolsVersion=latest" in check.fix


def test_a_given_layer_arn_skips_the_parameter_lookup(clients: Clients) -> None:
    check = check_powertools_layer(
        clients("ssm"), settings(powertools_layer_arn=LAYER_ARN), LAYER_PARAMETER, "us-east-1"
    )
    assert check.passed is None


def test_the_parameter_checked_is_the_one_the_stack_resolves() -> None:
    from cdk.text2image_cdk.functions import powertools_parameter_name

    assert powertools_parameter_name("3.37.0") == LAYER_PARAMETER


# --- endpoint quota -----------------------------------------------------------------


def test_a_quota_covering_min_instances_passes_and_notes_a_short_max(clients: Clients) -> None:
    clients.quotas(("ml.g5.2xlarge for endpoint usage", 4), ("ml.g5.4xlarge for endpoint usage", 1))
    check = check_endpoint_quota(clients("service-quotas"), settings(min_instances=1, max_instances=2))
    assert check.passed is True and "scaling stops at 1" in check.message


def test_a_quota_below_min_instances_fails_with_the_quota_to_request(clients: Clients) -> None:
    clients.quotas(("ml.g5.4xlarge for endpoint usage", 0))
    check = check_endpoint_quota(clients("service-quotas"), settings(min_instances=1))
    assert check.passed is False
    assert "'ml.g5.4xlarge for endpoint usage'" in check.fix


def test_an_instance_type_without_a_quota_fails(clients: Clients) -> None:
    clients.quotas(("ml.g5.4xlarge for endpoint usage", 2))
    check = check_endpoint_quota(clients("service-quotas"), settings(instance_type="ml.g9.huge"))
    assert check.passed is False and "unknown instance type" in check.message


def test_an_existing_endpoint_skips_the_quota(clients: Clients) -> None:
    check = check_endpoint_quota(clients("service-quotas"), settings(existing_endpoint_name="mine"))
    assert check.passed is None


# --- all together -------------------------------------------------------------------


def test_all_checks_pass_for_a_ready_account(clients: Clients) -> None:
    clients.stubs["sts"].add_response("get_caller_identity", IDENTITY)
    clients.parameter(BOOTSTRAP_VERSION_PARAMETER, "30")
    clients.parameter(LAYER_PARAMETER, LAYER_ARN)
    clients.quotas(("ml.g5.4xlarge for endpoint usage", 2))
    checks = run_checks(settings(), True, clients, LAYER_PARAMETER)
    assert [check.passed for check in checks] == [True] * 5


def test_no_aws_check_runs_without_credentials() -> None:
    class NoCredentials:
        def get_caller_identity(self) -> None:
            raise NoCredentialsError()

    def client(service: str) -> Any:
        assert service == "sts", f"{service} called without credentials"
        return NoCredentials()

    checks = run_checks(settings(), True, client, LAYER_PARAMETER)
    assert [check.name for check in checks] == ["credentials", "services in us-east-1"]


def test_a_failed_check_renders_its_fix_and_a_passed_one_does_not() -> None:
    assert "fix: do this" in Check("x", False, "broken", "do this").render()
    assert "fix" not in Check("x", True, "fine", "do this").render()


# --- the CDK app's settings -----------------------------------------------------------


def test_preflight_reads_cdk_json_and_the_cdk_args_as_the_app_does() -> None:
    session = boto3.session.Session(region_name="ap-southeast-2")
    argv = ["-c", "minInstances=2", "--context", "maxInstances=3", "--require-approval", "never"]
    read, translate = resolve_settings(argv, {}, session)
    assert (read.region, read.min_instances, read.max_instances) == ("ap-southeast-2", 2, 3)
    assert read.instance_type == "ml.g5.4xlarge"  # from cdk.json
    assert translate is True
    read, _ = resolve_settings(["-c", "region=eu-west-1"], {"AWS_REGION": "us-west-2"}, session)
    assert read.region == "eu-west-1"


def test_translation_switched_off_skips_translate() -> None:
    session = boto3.session.Session(region_name="us-east-1")
    argv = ["-c", "translatePrompts=false"]
    _, translate = resolve_settings(argv, {}, session)
    assert translate is False


def test_a_malformed_context_argument_fails_the_preflight(capsys: pytest.CaptureFixture[str]) -> None:
    assert preflight.main(["-c", "minInstances=zero"], {"AWS_REGION": "us-east-1"}) == 1
    assert "minInstances must be an integer" in capsys.readouterr().out


# --- outputs --------------------------------------------------------------------------


def test_deploy_ends_with_the_site_api_and_console_links() -> None:
    text = outputs.summary(
        {
            "Text2Image": {
                "SiteUrl": "https://d1.cloudfront.net",
                "ApiUrl": "https://abc.execute-api.us-east-1.amazonaws.com/api/",
                "ExecutionsConsoleUrl": "https://us-east-1.console.aws.amazon.com/states/home",
                "StateMachineArn": "arn:aws:states:...",
            }
        }
    )
    assert "https://d1.cloudfront.net" in text and "execute-api" in text and "console.aws" in text
    with pytest.raises(KeyError):
        outputs.summary({})
