"""What the CDK app synthesizes, checked offline against the template (aws_cdk.assertions)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from aws_cdk.assertions import Match, Template
from jsonschema import Draft4Validator

from cdk.text2image_cdk.settings import DeploySettings, SettingsError
from repo_paths import ASL_FILE, REQUIREMENTS
from tests.infra.stack_fixtures import CUSTOM, Synth, synthesize
from text2image.catalogue import ASL_SETTINGS, FUNCTIONS
from text2image.config import ConfigurationError
from text2image.domain.capacity import BacklogScaling
from text2image.domain.jobs import JOB_TIMEOUT_SECONDS, job_definition
from text2image.domain.taxonomy import MODERATION_CATEGORIES

EXISTING = {
    "existingEndpointName": "SDXL-From-Notebook",
    "functionEnvironment": {"TOXICITY_THRESHOLD": "0.3", "MIN_CONFIDENCE": "70"},
    "apiAuth": "iam",
    # As cdk.json would give it: a boolean, not the CLI's string.
    "translatePrompts": False,
    "people": "allow",
}


@pytest.fixture(scope="module")
def synth() -> Synth:
    return synthesize(CUSTOM)


@pytest.fixture(scope="module")
def existing() -> Synth:
    return synthesize(EXISTING)


@pytest.fixture(scope="module")
def template(synth: Synth) -> Template:
    return Template.from_json(synth.template)


def statements(synth: Synth) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every IAM statement, with the logical id of the role it belongs to."""
    for policy in synth.resources("AWS::IAM::Policy").values():
        (role,) = policy["Properties"]["Roles"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            yield role["Ref"], statement
    for logical_id, role in synth.resources("AWS::IAM::Role").items():
        for inline in role["Properties"].get("Policies", []):
            for statement in inline["PolicyDocument"]["Statement"]:
                yield logical_id, statement


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


# --- The workflow -------------------------------------------------------------


def test_state_machine_is_express_with_logging_all_execution_data_and_tracing(template: Template) -> None:
    template.has_resource_properties(
        "AWS::StepFunctions::StateMachine",
        {
            "StateMachineType": "EXPRESS",
            "LoggingConfiguration": {
                "Level": "ALL",
                "IncludeExecutionData": True,
                "Destinations": [{"CloudWatchLogsLogGroup": {"LogGroupArn": Match.any_value()}}],
            },
            "TracingConfiguration": {"Enabled": True},
        },
    )
    template.has_resource_properties(
        "AWS::Logs::LogGroup",
        {"LogGroupName": Match.string_like_regexp("^/aws/vendedlogs/states/"), "RetentionInDays": 30},
    )


def test_state_machine_runs_the_asl_file_with_each_placeholder_bound_to_its_function(synth: Synth) -> None:
    machines = {k: v["Properties"] for k, v in synth.resources("AWS::StepFunctions::StateMachine").items()}
    assert sorted(k.rstrip("0123456789ABCDEF") for k in machines) == [
        "WorkflowJobStateMachine",
        "WorkflowStateMachine",
    ]
    for logical_id, properties in machines.items():
        if logical_id.startswith("WorkflowJobStateMachine"):
            # The job machine: the same file, only its TimeoutSeconds changed.
            assert properties["DefinitionString"] == job_definition(ASL_FILE.read_text())
            assert json.loads(properties["DefinitionString"])["TimeoutSeconds"] == JOB_TIMEOUT_SECONDS
        else:
            assert properties["DefinitionString"] == ASL_FILE.read_text()
        substitutions = properties["DefinitionSubstitutions"]
        expected = {spec.asl_placeholder: spec.name for spec in FUNCTIONS if spec.asl_placeholder}
        # Besides the functions, the deployment's settings (the guardrail's mode).
        assert set(substitutions) == set(expected) | set(ASL_SETTINGS)
        for placeholder, name in expected.items():
            function_id = substitutions[placeholder]["Fn::GetAtt"][0]
            assert function_id.startswith(f"Functions{name}") and "Role" not in function_id


def test_workflow_role_may_invoke_only_its_own_functions(synth: Synth) -> None:
    invokes = [
        s
        for policy, s in statements(synth)
        if "lambda:InvokeFunction" in as_list(s["Action"]) and policy.startswith("Workflow")
    ]
    assert len(invokes) == 1
    targets = {resource["Fn::GetAtt"][0] for resource in invokes[0]["Resource"]}
    functions = synth.resources("AWS::Lambda::Function")
    expected = {
        next(k for k in functions if k.startswith(f"Functions{spec.name}") and "Role" not in k)
        for spec in FUNCTIONS
        if spec.asl_placeholder
    }
    assert targets == expected


def test_an_unacknowledged_cdk_nag_finding_fails_the_synth() -> None:
    from aws_cdk import aws_iam as iam

    from cdk.text2image_cdk.app import STACK_NAME, build_app

    app = build_app(environ={})
    stack = app.node.find_child(STACK_NAME)
    role = iam.Role(stack, "Careless", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    role.add_to_policy(iam.PolicyStatement(actions=["s3:*"], resources=["*"]))
    with pytest.raises(RuntimeError, match=r"ValidationFailed(.|\n)*Careless(.|\n)*IAM5\[Action::s3:\*\]"):
        app.synth()


# --- The API ------------------------------------------------------------------


def _method(synth: Synth, path_part: str, http_method: str) -> dict[str, Any]:
    resource_id = next(
        k
        for k, v in synth.resources("AWS::ApiGateway::Resource").items()
        if v["Properties"]["PathPart"] == path_part
    )
    return next(
        v["Properties"]
        for v in synth.resources("AWS::ApiGateway::Method").values()
        if v["Properties"]["ResourceId"] == {"Ref": resource_id}
        and v["Properties"]["HttpMethod"] == http_method
    )


def test_generate_calls_start_sync_execution_directly_with_its_own_role(synth: Synth) -> None:
    method = _method(synth, "generate", "POST")
    integration = method["Integration"]
    assert integration["Type"] == "AWS"
    uri = json.dumps(integration["Uri"])
    assert "states:action/StartSyncExecution" in uri and "lambda" not in uri
    assert integration["PassthroughBehavior"] == "NEVER"
    role_id = integration["Credentials"]["Fn::GetAtt"][0]
    allowed = [s for logical_id, s in statements(synth) if logical_id == role_id]
    assert [s["Action"] for s in allowed] == ["states:StartSyncExecution"]
    request = integration["RequestTemplates"]["application/json"]
    assert "$input.json('$')" in json.dumps(request)


def test_generate_declares_a_method_response_for_every_status_the_template_can_set(synth: Synth) -> None:
    method = _method(synth, "generate", "POST")
    declared = {r["StatusCode"]: r for r in method["MethodResponses"]}
    assert {"200", "400", "409", "422", "502", "503", "504"} <= set(declared)
    for status in ("409", "503"):  # the answers that may say when to come back
        assert declared[status]["ResponseParameters"]["method.response.header.Retry-After"] is True


def test_generate_takes_an_optional_idempotency_key_header(synth: Synth) -> None:
    method = _method(synth, "generate", "POST")
    assert method["RequestParameters"] == {"method.request.header.Idempotency-Key": False}


def test_generate_validates_bodies_against_the_contract_schema(synth: Synth) -> None:
    method = _method(synth, "generate", "POST")
    validator_id = method["RequestValidatorId"]["Ref"]
    validator = synth.template["Resources"][validator_id]["Properties"]
    assert validator["ValidateRequestBody"] is True
    model_id = method["RequestModels"]["application/json"]["Ref"]
    schema = synth.template["Resources"][model_id]["Properties"]["Schema"]
    assert schema["$schema"] == "http://json-schema.org/draft-04/schema#"
    validator = Draft4Validator(schema)
    valid = [
        {"prompt": "a jaguar in the Amazon rainforest"},
        {"prompt": "a fox", "negative_prompt": "blurry", "seed": 42, "size": "1216x832"},
    ]
    invalid = [
        {},
        {"prompt": ""},
        {"prompt": "   "},
        {"prompt": "x" * 1001},
        {"prompt": "a fox", "size": "4096x4096"},
        {"prompt": "a fox", "seed": -1},
        {"prompt": "a fox", "seed": 1.5},
        {"prompt": "a fox", "steps": 150},
        {"prompt": 42},
    ]
    for body in valid:
        assert validator.is_valid(body), body
    for body in invalid:
        assert not validator.is_valid(body), body


def test_check_toxicity_is_a_validated_proxy_to_its_function(synth: Synth) -> None:
    method = _method(synth, "check-toxicity", "POST")
    assert method["Integration"]["Type"] == "AWS_PROXY"
    assert "FunctionsCheckToxicityApi" in json.dumps(method["Integration"]["Uri"])
    assert "RequestValidatorId" in method


def test_stage_is_named_api_throttled_logged_and_traced(template: Template) -> None:
    template.has_resource_properties(
        "AWS::ApiGateway::Stage",
        {
            "StageName": "api",
            "TracingEnabled": True,
            "AccessLogSetting": {"DestinationArn": Match.any_value(), "Format": Match.any_value()},
            "MethodSettings": Match.array_with(
                [
                    Match.object_like(
                        # CUSTOM: 5 instances x 1 generation -> rate ceil(2 x 5 / 8) = 2, burst 5 x (4 + 1)
                        {"ThrottlingRateLimit": 2, "ThrottlingBurstLimit": 25, "LoggingLevel": "ERROR"}
                    )
                ]
            ),
        },
    )


def test_cors_allows_only_the_sites_own_origin(synth: Synth) -> None:
    distribution_id, _ = synth.one("AWS::CloudFront::Distribution")
    origin = {"Fn::Join": ["", ["'https://", {"Fn::GetAtt": [distribution_id, "DomainName"]}, "'"]]}
    for path in ("generate", "check-toxicity"):
        options = _method(synth, path, "OPTIONS")
        headers = options["Integration"]["IntegrationResponses"][0]["ResponseParameters"]
        assert headers["method.response.header.Access-Control-Allow-Origin"] == origin
    generate = _method(synth, "generate", "POST")
    for response in generate["Integration"]["IntegrationResponses"]:
        assert response["ResponseParameters"]["method.response.header.Access-Control-Allow-Origin"] == origin
    assert "'*'" not in json.dumps(synth.resources("AWS::ApiGateway::Method"))


def test_api_is_open_by_default_and_iam_authorised_when_asked(synth: Synth, existing: Synth) -> None:
    assert _method(synth, "generate", "POST")["AuthorizationType"] == "NONE"
    assert _method(existing, "generate", "POST")["AuthorizationType"] == "AWS_IAM"
    assert _method(existing, "check-toxicity", "POST")["AuthorizationType"] == "AWS_IAM"


def test_api_key_mode_requires_a_key_and_creates_a_usage_plan() -> None:
    # A cheap settings-level check of the switch; the full synth is covered above.
    from cdk.text2image_cdk.settings import DeploySettings, SettingsError

    class Node:
        def __init__(self, values: dict[str, Any]) -> None:
            self.values = values

        def try_get_context(self, key: str) -> Any:
            return self.values.get(key)

    assert DeploySettings.from_context(Node({"apiAuth": "apiKey"}), {}).api_auth == "apiKey"  # type: ignore[arg-type]
    with pytest.raises(SettingsError, match="apiAuth"):
        DeploySettings.from_context(Node({"apiAuth": "oauth"}), {})  # type: ignore[arg-type]
    with pytest.raises(SettingsError, match="maxInstances"):
        DeploySettings.from_context(Node({"minInstances": 3, "maxInstances": 2}), {})  # type: ignore[arg-type]


# --- Buckets ------------------------------------------------------------------


def test_every_bucket_is_private_encrypted_and_refuses_plain_http(synth: Synth) -> None:
    buckets = synth.resources("AWS::S3::Bucket")
    assert len(buckets) >= 3
    policies = {
        v["Properties"]["Bucket"]["Ref"]: v["Properties"]["PolicyDocument"]["Statement"]
        for v in synth.resources("AWS::S3::BucketPolicy").values()
    }
    for logical_id, bucket in buckets.items():
        properties = bucket["Properties"]
        assert properties["PublicAccessBlockConfiguration"] == {
            "BlockPublicAcls": True,
            "BlockPublicPolicy": True,
            "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True,
        }, logical_id
        encryption = properties["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
        assert encryption["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in ("AES256", "aws:kms"), (
            logical_id
        )
        deny_http = [
            s
            for s in policies[logical_id]
            if s["Effect"] == "Deny" and s.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}
        ]
        assert deny_http, f"{logical_id} accepts plain HTTP"


def test_image_bucket_logs_access_and_expires_staged_and_quarantined_images(synth: Synth) -> None:
    images = synth.template["Resources"][next(k for k in synth.resources("AWS::S3::Bucket") if "Images" in k)]
    properties = images["Properties"]
    assert "DestinationBucketName" in properties["LoggingConfiguration"]
    rules = {rule.get("Prefix"): rule for rule in properties["LifecycleConfiguration"]["Rules"]}
    assert rules["staging/"]["ExpirationInDays"] == 1
    assert rules["quarantine/"]["ExpirationInDays"] == 30
    assert "generated_images/" not in rules


# --- IAM ----------------------------------------------------------------------


def test_no_iam_statement_has_a_wildcard_action(synth: Synth) -> None:
    offenders = [
        (logical_id, action)
        for logical_id, statement in statements(synth)
        for action in as_list(statement["Action"])
        if "*" in action
        # CDK's own deploy-time BucketDeployment function is the one exception (acknowledged in cdk-nag).
        and not logical_id.startswith("CustomCDKBucketDeployment")
    ]
    assert offenders == []


RESOURCE_STAR_ALLOWED = {
    "comprehend:DetectDominantLanguage",
    "comprehend:DetectToxicContent",
    "comprehend:DetectEntities",
    "rekognition:DetectModerationLabels",
    "rekognition:RecognizeCelebrities",
    "translate:TranslateText",
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "xray:GetSamplingRules",
    "xray:GetSamplingTargets",
    "ecr:GetAuthorizationToken",
    "cloudwatch:PutMetricData",
    "logs:CreateLogDelivery",
    "logs:GetLogDelivery",
    "logs:UpdateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:DescribeResourcePolicies",
    "logs:DescribeLogGroups",
    "cloudfront:CreateInvalidation",
    "cloudfront:GetInvalidation",
}


def test_resource_star_only_for_actions_that_have_no_resource_level_permissions(synth: Synth) -> None:
    for logical_id, statement in statements(synth):
        if "*" in as_list(statement["Resource"]):
            assert set(as_list(statement["Action"])) <= RESOURCE_STAR_ALLOWED, logical_id


def roles_allowed(synth: Synth, action: str) -> set[str]:
    return {
        logical_id for logical_id, statement in statements(synth) if action in as_list(statement["Action"])
    }


PROMPT_CHECK_ROLES = ("FunctionsCheckPromptToxicityRole", "FunctionsCheckToxicityApiRole")


def test_only_the_prompt_check_functions_may_translate_and_detect_languages(synth: Synth) -> None:
    for action in ("translate:TranslateText", "comprehend:DetectDominantLanguage"):
        allowed = roles_allowed(synth, action)
        assert len(allowed) == 2 and all(role.startswith(PROMPT_CHECK_ROLES) for role in allowed), action
    for name in ("CheckPromptToxicity", "CheckToxicityApi"):
        assert synth.function(name)["Environment"]["Variables"]["TRANSLATE_PROMPTS"] == "true"


def test_with_translation_off_no_role_may_translate_and_the_functions_refuse_instead(existing: Synth) -> None:
    assert roles_allowed(existing, "translate:TranslateText") == set()
    assert len(roles_allowed(existing, "comprehend:DetectDominantLanguage")) == 2
    for name in ("CheckPromptToxicity", "CheckToxicityApi"):
        assert existing.function(name)["Environment"]["Variables"]["TRANSLATE_PROMPTS"] == "false"


def test_by_default_only_the_prompt_check_functions_may_look_for_named_people(synth: Synth) -> None:
    allowed = roles_allowed(synth, "comprehend:DetectEntities")
    assert len(allowed) == 2 and all(role.startswith(PROMPT_CHECK_ROLES) for role in allowed)
    for name in ("CheckPromptToxicity", "CheckToxicityApi"):
        assert synth.function(name)["Environment"]["Variables"]["PEOPLE_POLICY"] == "refuse-harmful"


def test_with_people_allowed_no_role_may_detect_entities(existing: Synth) -> None:
    assert roles_allowed(existing, "comprehend:DetectEntities") == set()
    for name in ("CheckPromptToxicity", "CheckToxicityApi"):
        assert existing.function(name)["Environment"]["Variables"]["PEOPLE_POLICY"] == "allow"


def test_by_default_only_the_celebrity_check_may_recognise_celebrities(synth: Synth) -> None:
    allowed = roles_allowed(synth, "rekognition:RecognizeCelebrities")
    assert len(allowed) == 1 and next(iter(allowed)).startswith("FunctionsRecognizeCelebritiesRole")
    variables = synth.function("RecognizeCelebrities")["Environment"]["Variables"]
    assert (variables["PEOPLE_POLICY"], variables["CELEBRITY_MIN_CONFIDENCE"]) == ("refuse-harmful", "90.0")


def test_with_people_allowed_no_role_may_recognise_celebrities(existing: Synth) -> None:
    assert roles_allowed(existing, "rekognition:RecognizeCelebrities") == set()
    assert existing.function("RecognizeCelebrities")["Environment"]["Variables"]["PEOPLE_POLICY"] == "allow"


@pytest.fixture(scope="module")
def guarded() -> Synth:
    return synthesize({**CUSTOM, "guardrail": "on"})


def test_by_default_there_is_no_guardrail_and_no_role_may_apply_one(synth: Synth) -> None:
    assert synth.resources("AWS::Bedrock::Guardrail") == {}
    assert roles_allowed(synth, "bedrock:ApplyGuardrail") == set()
    for machine in synth.resources("AWS::StepFunctions::StateMachine").values():
        assert machine["Properties"]["DefinitionSubstitutions"]["GuardrailMode"] == "off"


def test_guardrail_on_filters_text_and_images_and_only_its_functions_may_apply_it(guarded: Synth) -> None:
    ((logical_id, guardrail),) = guarded.resources("AWS::Bedrock::Guardrail").items()
    filters = {f["Type"]: f for f in guardrail["Properties"]["ContentPolicyConfig"]["FiltersConfig"]}
    assert set(filters) == {"SEXUAL", "VIOLENCE", "HATE", "INSULTS", "MISCONDUCT", "PROMPT_ATTACK"}
    for name in ("SEXUAL", "VIOLENCE", "HATE", "INSULTS", "MISCONDUCT"):
        assert filters[name]["InputModalities"] == filters[name]["OutputModalities"] == ["TEXT", "IMAGE"]
    assert filters["PROMPT_ATTACK"]["OutputStrength"] == "NONE"
    assert len(guarded.resources("AWS::Bedrock::GuardrailVersion")) == 1
    allowed = roles_allowed(guarded, "bedrock:ApplyGuardrail")
    assert {role.split("Role")[0] for role in allowed} == {
        "FunctionsApplyGuardrailToPrompt",
        "FunctionsApplyGuardrailToImage",
    }
    for _, statement in statements(guarded):
        if "bedrock:ApplyGuardrail" in as_list(statement["Action"]):
            assert as_list(statement["Resource"]) == [{"Fn::GetAtt": [logical_id, "GuardrailArn"]}]
    # One ASL file for both modes: the deployed setting turns the guardrail's Choices on.
    for machine in guarded.resources("AWS::StepFunctions::StateMachine").values():
        assert machine["Properties"]["DefinitionSubstitutions"]["GuardrailMode"] == "on"


@pytest.mark.parametrize("region", ["eu-west-1", "ap-southeast-2"])
def test_guardrail_on_fails_at_synth_where_image_filters_are_not_generally_available(region: str) -> None:
    with pytest.raises(SettingsError, match=f"guardrail=on needs .* not generally available in {region}"):
        synthesize({"guardrail": "on", "region": region})


def test_the_celebrity_confidence_comes_from_its_context_option() -> None:
    variables = synthesize({"celebrityMinConfidence": "97.5"}).function("RecognizeCelebrities")["Environment"]
    assert variables["Variables"]["CELEBRITY_MIN_CONFIDENCE"] == "97.5"


@pytest.mark.parametrize(
    ("context", "named"),
    [
        ({"celebrityMinConfidence": "101"}, "celebrityMinConfidence"),
        ({"celebrityMinConfidence": "very"}, "celebrityMinConfidence"),
        ({"functionEnvironment": {"CELEBRITY_MIN_CONFIDENCE": "50"}}, "celebrityMinConfidence"),
        ({"people": "sometimes"}, "people"),
        ({"functionEnvironment": {"PEOPLE_POLICY": "allow"}}, "people"),
        ({"translatePrompts": "sometimes"}, "translatePrompts"),
        ({"functionEnvironment": {"TRANSLATE_PROMPTS": "false"}}, "translatePrompts"),
    ],
)
def test_translation_is_set_only_by_its_own_context_option(context: dict[str, Any], named: str) -> None:
    with pytest.raises(SettingsError, match=named):
        synthesize(context)


def test_functions_reach_s3_only_under_their_own_prefixes(synth: Synth) -> None:
    expected = {
        "GenerateImage": {("s3:PutObject", "staging/*")},
        "ModerateImage": {("s3:GetObject", "staging/*")},
        "RecognizeCelebrities": {("s3:GetObject", "staging/*")},
        "StoreImage": {
            ("s3:GetObject", "staging/*"),
            ("s3:DeleteObject", "staging/*"),
            ("s3:PutObject", "generated_images/*"),
            ("s3:GetObject", "generated_images/*"),
        },
        "DiscardStagedImage": {
            ("s3:GetObject", "staging/*"),
            ("s3:DeleteObject", "staging/*"),
            ("s3:PutObject", "quarantine/*"),
            ("s3:DeleteObject", "generated_images/*"),
        },
        # A replayed approval is re-signed: the URL works only if the signer may read the image.
        "ClaimIdempotencyKey": {("s3:GetObject", "generated_images/*")},
        "SettleIdempotencyKey": set(),
        "CheckPromptToxicity": set(),
        "CheckToxicityApi": set(),
    }
    for name, grants in expected.items():
        found = set()
        for logical_id, statement in statements(synth):
            if not logical_id.startswith(f"Functions{name}Role"):
                continue
            for action in as_list(statement["Action"]):
                if action.startswith("s3:"):
                    for resource in as_list(statement["Resource"]):
                        prefix = resource["Fn::Join"][1][-1].lstrip("/")
                        found.add((action, prefix))
        assert found == grants, name


def test_endpoint_role_is_least_privilege_not_sagemaker_full_access(synth: Synth) -> None:
    role_id, role = next(
        (k, v) for k, v in synth.resources("AWS::IAM::Role").items() if k.startswith("SdxlRole")
    )
    assert "ManagedPolicyArns" not in role["Properties"]
    actions = {
        a for logical_id, s in statements(synth) if logical_id == role_id for a in as_list(s["Action"])
    }
    assert actions <= {
        "ecr:BatchCheckLayerAvailability",
        "ecr:BatchGetImage",
        "ecr:GetDownloadUrlForLayer",
        "ecr:GetAuthorizationToken",
        "s3:GetObject",
        "logs:CreateLogGroup",
        "logs:CreateLogStream",
        "logs:DescribeLogStreams",
        "logs:PutLogEvents",
        "cloudwatch:PutMetricData",
    }
    assert "AmazonSageMakerFullAccess" not in json.dumps(synth.template)


# --- Functions ----------------------------------------------------------------


def test_every_catalogue_function_is_traced_layered_and_logged_with_retention(synth: Synth) -> None:
    log_groups = synth.resources("AWS::Logs::LogGroup")
    for spec in FUNCTIONS:
        function = synth.function(spec.name)
        assert function["Handler"] == spec.handler
        assert function["Runtime"].startswith("python3.")
        assert function["TracingConfig"] == {"Mode": "Active"}
        # Powertools; the functions that mark and verify also have the provenance libraries.
        assert len(function["Layers"]) == (2 if spec.name in ("MarkProvenance", "VerifyApi") else 1)
        log_group_id = function["LoggingConfig"]["LogGroup"]["Ref"]
        assert log_groups[log_group_id]["Properties"]["RetentionInDays"] == 30


def test_powertools_layer_is_the_public_one_for_the_pinned_version(synth: Synth) -> None:
    layer = synth.function("GenerateImage")["Layers"][0]
    parameter = synth.template["Parameters"][layer["Ref"]]
    assert parameter["Type"] == "AWS::SSM::Parameter::Value<String>"
    pinned = re.search(r"aws-lambda-powertools\[tracer\]==(\S+)", REQUIREMENTS.read_text())
    assert pinned is not None
    runtime = synth.function("GenerateImage")["Runtime"]
    assert parameter["Default"] == f"/aws/service/powertools/python/x86_64/{runtime}/{pinned.group(1)}"


def test_lambda_asset_is_only_the_small_lambdas_package(synth: Synth) -> None:
    key = synth.function("GenerateImage")["Code"]["S3Key"]
    asset = synth.assembly_dir / f"asset.{key.removesuffix('.zip')}"
    assert sorted(p.name for p in asset.iterdir()) == ["text2image"]
    files = [p for p in asset.rglob("*") if p.is_file()]
    assert not [p for p in files if "__pycache__" in p.parts or p.suffix == ".pyc"]
    assert sum(p.stat().st_size for p in files) < 1_000_000


def test_function_environments_carry_the_thresholds_and_settings(synth: Synth) -> None:
    check = synth.function("CheckPromptToxicity")["Environment"]["Variables"]
    assert check["TOXICITY_THRESHOLD"] == "0.5"
    assert check["LANGUAGE_CONFIDENCE"] == "0.8"
    assert check["LABEL_THRESHOLDS"] == "{}"
    api = synth.function("CheckToxicityApi")["Environment"]["Variables"]
    assert api["TOXICITY_THRESHOLD"] == check["TOXICITY_THRESHOLD"]
    moderate = synth.function("ModerateImage")["Environment"]["Variables"]
    assert moderate["MIN_CONFIDENCE"] == "50.0"
    assert moderate["BLOCKED_CATEGORIES"].split(",") == list(MODERATION_CATEGORIES)
    generate = synth.function("GenerateImage")["Environment"]["Variables"]
    assert generate["GENERATION_STEPS"] == "25"
    assert generate["USE_REFINER"] == "false"
    assert generate["SAMPLER"] == "DPMPP2MSampler"
    assert generate["IMAGE_BUCKET"] == {
        "Ref": next(k for k in synth.resources("AWS::S3::Bucket") if "Images" in k)
    }
    assert synth.function("StoreImage")["Environment"]["Variables"]["URL_TTL_SECONDS"] == "3600"
    assert (
        synth.function("DiscardStagedImage")["Environment"]["Variables"]["REJECTED_IMAGE_ACTION"] == "delete"
    )
    for spec in FUNCTIONS:
        variables = synth.function(spec.name)["Environment"]["Variables"]
        assert set(spec.config.env_names()) <= set(variables), spec.name


def test_threshold_overrides_from_context_reach_the_functions(existing: Synth) -> None:
    assert existing.function("CheckPromptToxicity")["Environment"]["Variables"]["TOXICITY_THRESHOLD"] == "0.3"
    assert existing.function("CheckToxicityApi")["Environment"]["Variables"]["TOXICITY_THRESHOLD"] == "0.3"
    assert existing.function("ModerateImage")["Environment"]["Variables"]["MIN_CONFIDENCE"] == "70"


def test_an_invalid_threshold_fails_the_synth_naming_the_variable() -> None:
    with pytest.raises(ConfigurationError, match="TOXICITY_THRESHOLD"):
        synthesize({"functionEnvironment": {"TOXICITY_THRESHOLD": "1.5"}})


# --- The SDXL endpoint --------------------------------------------------------


def test_endpoint_uses_the_configured_instance_type_and_the_regions_jumpstart_artifacts(
    template: Template,
) -> None:
    template.has_resource_properties(
        "AWS::SageMaker::EndpointConfig",
        {
            "ProductionVariants": [
                Match.object_like(
                    {"InstanceType": "ml.g5.8xlarge", "InitialInstanceCount": 2, "VariantName": "AllTraffic"}
                )
            ]
        },
    )
    template.has_resource_properties(
        "AWS::SageMaker::Model",
        {
            "PrimaryContainer": Match.object_like(
                {
                    "Image": Match.string_like_regexp(
                        r"^763104351884\.dkr\.ecr\.us-east-1\.amazonaws\.com/stabilityai-pytorch-inference:"
                    ),
                    "ModelDataUrl": Match.string_like_regexp(
                        r"^s3://jumpstart-cache-prod-us-east-1/.*stable-diffusion-xl-base-1-0.*\.tar\.gz$"
                    ),
                }
            )
        },
    )


def test_an_instance_type_the_jumpstart_model_does_not_support_fails_the_synth_listing_those_it_does() -> (
    None
):
    # An A10G like the default's, but a size the SDXL 1.0 spec does not list.
    with pytest.raises(SettingsError) as refused:
        synthesize({"instanceType": "ml.g5.2xlarge"})
    message = str(refused.value)
    assert "instanceType 'ml.g5.2xlarge'" in message
    assert "['ml.g5.4xlarge', 'ml.g5.8xlarge', 'ml.g5.16xlarge']" in message
    # A supported size other than the default (CUSTOM's ml.g5.8xlarge) synthesizes: the test above.
    assert CUSTOM["instanceType"] == "ml.g5.8xlarge"


def test_endpoint_scales_on_the_backlog_per_instance_within_the_configured_bounds(template: Template) -> None:
    template.has_resource_properties(
        "AWS::ApplicationAutoScaling::ScalableTarget",
        {
            "ServiceNamespace": "sagemaker",
            "ScalableDimension": "sagemaker:variant:DesiredInstanceCount",
            "MinCapacity": 2,
            "MaxCapacity": 5,
        },
    )
    template.has_resource_properties(
        "AWS::ApplicationAutoScaling::ScalingPolicy",
        {
            "PolicyType": "TargetTrackingScaling",
            "TargetTrackingScalingPolicyConfiguration": Match.object_like(
                {
                    "CustomizedMetricSpecification": Match.object_like(
                        {
                            "Namespace": "Text2Image",
                            "MetricName": "BacklogPerInstance",
                            "Statistic": "Average",
                            "Dimensions": Match.array_with([{"Name": "pool", "Value": Match.any_value()}]),
                        }
                    ),
                    "TargetValue": BacklogScaling().target_backlog_per_instance,
                    # Out within minutes, in slowly.
                    "ScaleOutCooldown": 120,
                    "ScaleInCooldown": 900,
                }
            ),
        },
    )
    policies = template.find_resources("AWS::ApplicationAutoScaling::ScalingPolicy")
    assert all(
        "PredefinedMetricSpecification"
        not in policy["Properties"].get("TargetTrackingScalingPolicyConfiguration", {})
        for policy in policies.values()
    )


def test_the_backlog_target_is_set_by_context_and_must_be_positive() -> None:
    settings = DeploySettings.from_lookup({"backlogPerInstance": "5"}.get, environ={})
    assert settings.scaling_policy.target_backlog_per_instance == 5
    with pytest.raises(SettingsError, match="backlogPerInstance must be above 0"):
        DeploySettings.from_lookup({"backlogPerInstance": "0"}.get, environ={})


def test_capacity_is_refreshed_every_minute_by_a_function_that_may_describe_only_this_endpoint(
    template: Template,
) -> None:
    template.has_resource_properties(
        "AWS::Events::Rule",
        {
            "ScheduleExpression": "rate(1 minute)",
            "Targets": [
                Match.object_like(
                    {"Arn": {"Fn::GetAtt": [Match.string_like_regexp("RefreshGenerationCapacity"), "Arn"]}}
                )
            ],
        },
    )
    statements = [
        statement
        for policy in template.find_resources("AWS::IAM::Policy").values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if "sagemaker:DescribeEndpoint" in json.dumps(statement["Action"])
    ]
    assert len(statements) == 1
    (statement,) = statements
    assert statement["Action"] == "sagemaker:DescribeEndpoint"
    resource = json.dumps(statement["Resource"])
    assert ":endpoint/" in resource and "*" not in resource


def test_existing_endpoint_mode_creates_no_endpoint_and_invokes_the_named_one(existing: Synth) -> None:
    for resource_type in (
        "AWS::SageMaker::Model",
        "AWS::SageMaker::EndpointConfig",
        "AWS::SageMaker::Endpoint",
        "AWS::ApplicationAutoScaling::ScalableTarget",
    ):
        assert existing.resources(resource_type) == {}, resource_type
    assert (
        existing.function("GenerateImage")["Environment"]["Variables"]["ENDPOINT_NAME"]
        == "SDXL-From-Notebook"
    )
    invoke = [s for _, s in statements(existing) if s["Action"] == "sagemaker:InvokeEndpoint"]
    assert len(invoke) == 1
    assert json.dumps(invoke[0]["Resource"]).endswith(':endpoint/sdxl-from-notebook"]]}')


def test_a_region_without_a_known_sdxl_image_fails_the_synth_clearly() -> None:
    from cdk.text2image_cdk.jumpstart import UnsupportedRegion

    with pytest.raises(UnsupportedRegion, match="eu-central-1"):
        synthesize({"region": "eu-central-1"})


# --- CloudFront and outputs ---------------------------------------------------


def test_cloudfront_serves_the_private_site_bucket_via_oac_and_routes_api_to_the_rest_api(
    synth: Synth,
) -> None:
    _, distribution = synth.one("AWS::CloudFront::Distribution")
    config = distribution["Properties"]["DistributionConfig"]
    origins = {origin["Id"]: origin for origin in config["Origins"]}
    default = config["DefaultCacheBehavior"]
    site_origin = origins[default["TargetOriginId"]]
    assert "OriginAccessControlId" in site_origin
    assert site_origin["S3OriginConfig"] == {"OriginAccessIdentity": ""}
    assert default["ViewerProtocolPolicy"] == "redirect-to-https"
    (api,) = config["CacheBehaviors"]
    assert api["PathPattern"] == "/api/*"
    assert api["ViewerProtocolPolicy"] == "https-only"
    api_origin = origins[api["TargetOriginId"]]
    assert "execute-api" in json.dumps(api_origin["DomainName"])
    assert "OriginPath" not in api_origin  # the stage is named `api`
    assert api_origin["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"
    assert "POST" in api["AllowedMethods"]
    assert default["ResponseHeadersPolicyId"] == api["ResponseHeadersPolicyId"]


def test_security_headers_include_a_strict_content_security_policy(synth: Synth) -> None:
    _, policy = synth.one("AWS::CloudFront::ResponseHeadersPolicy")
    headers = policy["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
    csp = json.dumps(headers["ContentSecurityPolicy"]["ContentSecurityPolicy"])
    for directive in (
        "default-src 'self'",
        "frame-ancestors 'none'",
        "object-src 'none'",
        "script-src 'self'",
    ):
        assert directive in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert headers["StrictTransportSecurity"]["AccessControlMaxAgeSec"] >= 31_536_000
    assert headers["FrameOptions"]["FrameOption"] == "DENY"


def test_outputs_name_the_site_api_state_machine_and_its_console_page(synth: Synth) -> None:
    outputs = synth.template["Outputs"]
    assert {"SiteUrl", "ApiUrl", "StateMachineArn", "ExecutionsConsoleUrl"} <= set(outputs)
    console = json.dumps(outputs["ExecutionsConsoleUrl"]["Value"])
    assert "console.aws.amazon.com/states/home" in console and "statemachines/view/" in console


# --- Jobs ---------------------------------------------------------------------------


def test_jobs_api_may_only_invoke_run_job_and_run_job_may_only_run_the_job_machine(synth: Synth) -> None:
    functions = synth.resources("AWS::Lambda::Function")
    run_job = next(k for k in functions if k.startswith("FunctionsRunJob"))
    machines = synth.resources("AWS::StepFunctions::StateMachine")
    job_machine = next(k for k in machines if k.startswith("WorkflowJobStateMachine"))
    assert synth.function("JobsApi")["Environment"]["Variables"]["RUN_JOB_FUNCTION"] == {"Ref": run_job}
    # RunJob names the job machine's ARN by its fixed name (the machine needs the functions first).
    name = machines[job_machine]["Properties"]["StateMachineName"]
    arn = json.dumps(synth.function("RunJob")["Environment"]["Variables"]["JOB_STATE_MACHINE_ARN"])
    assert f":stateMachine:{name}" in arn
    granted: dict[str, list[tuple[list[str], Any]]] = {}
    for role, statement in statements(synth):
        for wanted in ("JobsApi", "RunJob"):
            if role.startswith(f"Functions{wanted}Role"):
                granted.setdefault(wanted, []).append((as_list(statement["Action"]), statement["Resource"]))
    assert (["lambda:InvokeFunction"], {"Fn::GetAtt": [run_job, "Arn"]}) in granted["JobsApi"]
    assert (["states:StartSyncExecution"], {"Ref": job_machine}) in granted["RunJob"]
    for actions, _ in granted["JobsApi"] + granted["RunJob"]:
        assert not any(action.startswith("states:StartExecution") for action in actions)
