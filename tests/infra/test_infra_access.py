"""Who may spend the GPU, in the synthesized template: the WAF web ACL on the stage, the
budget, the pause switch, Cognito sign-in, and the caller the request template passes on."""

from __future__ import annotations

import json
from typing import Any

import airspeed
import pytest
from aws_cdk.assertions import Annotations, Match

from cdk.text2image_cdk.app import STACK_NAME, build_app
from cdk.text2image_cdk.outcome_templates import API_KEY_CALLER, COGNITO_CALLER, start_request_template
from cdk.text2image_cdk.settings import DeploySettings, SettingsError
from cdk.text2image_cdk.waf import per_ip_limit
from tests.infra.stack_fixtures import CONCRETE, CUSTOM, OFFLINE_ENVIRON, Synth, synthesize
from tests.infra.test_infra_outcome_mapping import Input, Util
from text2image.contract import execution_input

COGNITO = {**CONCRETE, "apiAuth": "cognito"}


def test_the_default_stage_has_a_web_acl_with_a_per_ip_rate_rule_derived_from_capacity() -> None:
    synth = synthesize(CUSTOM)  # maxInstances 5
    _, acl = synth.one("AWS::WAFv2::WebACL")
    rules = {rule["Name"]: rule for rule in acl["Properties"]["Rules"]}
    rate = rules["PostsPerClientIp"]["Statement"]["RateBasedStatement"]
    assert rate["AggregateKeyType"] == "IP"
    assert rate["Limit"] == per_ip_limit(5) == 188  # 5 generations x 300 s / 8 s
    assert rate["ScopeDownStatement"]["ByteMatchStatement"]["SearchString"] == "POST"
    assert "Block" in rules["PostsPerClientIp"]["Action"]
    assert {"AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet"} <= set(rules)
    _, association = synth.one("AWS::WAFv2::WebACLAssociation")
    arn = json.dumps(association["Properties"]["ResourceArn"])
    assert "/stages/" in arn and "RestApi" in arn


def test_the_core_rule_set_skips_post_verify_whose_image_body_its_8_kb_body_limit_would_block() -> None:
    _, acl = synthesize(CUSTOM).one("AWS::WAFv2::WebACL")
    groups = {
        rule["Name"]: rule["Statement"]["ManagedRuleGroupStatement"]
        for rule in acl["Properties"]["Rules"]
        if "ManagedRuleGroupStatement" in rule["Statement"]
    }
    skipped = groups["AWSManagedRulesCommonRuleSet"]["ScopeDownStatement"]["NotStatement"]["Statement"]
    match = skipped["ByteMatchStatement"]
    assert ("UriPath" in match["FieldToMatch"], match["PositionalConstraint"]) == (True, "ENDS_WITH")
    assert match["SearchString"] == "/verify"
    # POST /verify/uploads (a small JSON body) and every other route keep the whole rule set.
    assert not "/api/verify/uploads".endswith(match["SearchString"])
    assert "ScopeDownStatement" not in groups["AWSManagedRulesKnownBadInputsRuleSet"]


def test_waf_off_removes_the_web_acl() -> None:
    assert synthesize({**CONCRETE, "apiAuth": "apiKey", "waf": "off"}).resources("AWS::WAFv2::WebACL") == {}


def warnings(context: dict[str, Any]) -> Annotations:
    app = build_app(context, OFFLINE_ENVIRON)
    return Annotations.from_stack(app.node.find_child(STACK_NAME))  # type: ignore[arg-type]


def test_a_public_api_without_waf_warns_at_synth_that_anyone_can_spend_the_money() -> None:
    warnings({"waf": "off"}).has_warning("*", Match.string_like_regexp("anyone who finds the URL"))
    warnings({"waf": "off", "apiAuth": "cognito"}).has_no_warning(
        "*", Match.string_like_regexp("anyone who finds the URL")
    )
    warnings({}).has_no_warning("*", Match.string_like_regexp("anyone who finds the URL"))


def test_the_budget_follows_the_stack_tag_and_alerts_the_alarm_topic_at_80_and_100_percent() -> None:
    synth = synthesize({**CONCRETE, "monthlyBudget": "250"})
    _, budget = synth.one("AWS::Budgets::Budget")
    data = budget["Properties"]["Budget"]
    assert data["BudgetLimit"] == {"Amount": 250, "Unit": "USD"}
    assert data["CostFilters"] == {"TagKeyValue": ["user:project$text2image"]}
    notifications = budget["Properties"]["NotificationsWithSubscribers"]
    assert sorted(n["Notification"]["Threshold"] for n in notifications) == [80, 100]
    topic, _ = synth.one("AWS::SNS::Topic")
    assert all(
        n["Subscribers"] == [{"Address": {"Ref": topic}, "SubscriptionType": "SNS"}] for n in notifications
    )
    policies = json.dumps(synth.resources("AWS::SNS::TopicPolicy"))
    assert "budgets.amazonaws.com" in policies


def test_admission_reads_only_its_pause_switch_and_writes_only_the_quota_table() -> None:
    synth = synthesize(CUSTOM)
    parameter, _ = synth.one("AWS::SSM::Parameter")
    environment = synth.function("ReserveQuota")["Environment"]["Variables"]
    assert environment["PAUSE_PARAMETER"] == {"Ref": parameter}
    assert environment["DAILY_IMAGE_QUOTA"] == "50"
    policy = next(
        v for k, v in synth.resources("AWS::IAM::Policy").items() if k.startswith("FunctionsReserveQuotaRole")
    )
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    granted = {
        action
        for statement in statements
        for action in ([statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"])
    }
    assert {action for action in granted if action.split(":")[0] in ("dynamodb", "ssm")} == {
        "dynamodb:GetItem",
        "dynamodb:UpdateItem",
        "ssm:GetParameter",
    }


def methods(synth: Synth) -> dict[str, dict[str, Any]]:
    paths = {k: v["Properties"]["PathPart"] for k, v in synth.resources("AWS::ApiGateway::Resource").items()}
    return {
        f"{v['Properties']['HttpMethod']} {paths.get(v['Properties']['ResourceId'].get('Ref'), '?')}": v[
            "Properties"
        ]
        for v in synth.resources("AWS::ApiGateway::Method").values()
        if v["Properties"]["HttpMethod"] != "OPTIONS"
    }


def test_cognito_puts_an_authorizer_on_every_route_and_a_public_client_without_self_sign_up() -> None:
    synth = synthesize(COGNITO)
    _, pool = synth.one("AWS::Cognito::UserPool")
    assert pool["Properties"]["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    _, client = synth.one("AWS::Cognito::UserPoolClient")
    assert client["Properties"]["GenerateSecret"] is False
    assert "ALLOW_USER_PASSWORD_AUTH" in client["Properties"]["ExplicitAuthFlows"]
    authorizer, _ = synth.one("AWS::ApiGateway::Authorizer")
    routes = methods(synth)
    assert {"POST generate", "POST check-toxicity", "POST jobs", "GET {job_id}"} <= set(routes)
    for route, method in routes.items():
        if route in VERIFY_ROUTES:
            continue
        assert method["AuthorizationType"] == "COGNITO_USER_POOLS", route
        assert method["AuthorizerId"] == {"Ref": authorizer}, route


VERIFY_ROUTES = ("POST verify", "POST uploads")


@pytest.mark.parametrize("auth", ["none", "cognito", "apiKey", "iam"])
def test_verifying_is_public_whatever_guards_generation_and_throttled_on_its_own(auth: str) -> None:
    synth = synthesize({**CONCRETE, "apiAuth": auth})
    routes = methods(synth)
    for route in VERIFY_ROUTES:
        assert routes[route]["AuthorizationType"] == "NONE", route
        assert not routes[route].get("ApiKeyRequired"), route
        assert "AuthorizerId" not in routes[route], route
    generate = routes["POST generate"]
    guarded = generate["AuthorizationType"] != "NONE" or generate.get("ApiKeyRequired", False)
    assert guarded == (auth != "none")
    _, stage = synth.one("AWS::ApiGateway::Stage")
    throttled = {
        (setting["ResourcePath"], setting["HttpMethod"]): setting
        for setting in stage["Properties"]["MethodSettings"]
        if "ThrottlingRateLimit" in setting and setting["ResourcePath"] != "/*"
    }
    assert set(throttled) == {("/~1verify", "POST"), ("/~1verify~1uploads", "POST")}
    assert {(s["ThrottlingRateLimit"], s["ThrottlingBurstLimit"]) for s in throttled.values()} == {(5, 10)}


def test_without_cognito_there_is_no_user_pool() -> None:
    assert synthesize(CUSTOM).resources("AWS::Cognito::UserPool") == {}


def render_start(caller_template: str, body: dict[str, Any], context: dict[str, Any]) -> dict[str, Any]:
    text = start_request_template("arn:machine", caller_template)
    variables = {"input": Input(body, {}), "util": Util(), "context": context}
    return json.loads(json.loads(airspeed.Template(text).merge(variables))["input"])


@pytest.mark.parametrize(
    ("template", "context", "caller"),
    [
        (COGNITO_CALLER, {"authorizer": {"claims": {"sub": "1b2c-3d"}}}, "user:1b2c-3d"),
        (API_KEY_CALLER, {"identity": {"apiKeyId": "k9x"}}, "key:k9x"),
        (COGNITO_CALLER, {"authorizer": {"claims": {}}}, None),
    ],
)
def test_the_request_template_passes_the_authenticated_caller_as_the_local_api_does(
    template: str, context: dict[str, Any], caller: str | None
) -> None:
    body = {"prompt": 'the jaguar\'s "gaze"', "seed": 7}
    assert render_start(template, body, context) == execution_input(body, None, caller)


@pytest.mark.parametrize(
    ("context", "message"),
    [
        ({"waf": "maybe"}, "waf must be on or off"),
        ({"monthlyBudget": "lots"}, "monthlyBudget must be a number"),
        ({"monthlyBudget": "0"}, "monthlyBudget must be above 0"),
        ({"dailyImageQuota": "-1"}, "dailyImageQuota must be at least 0"),
    ],
)
def test_bad_access_options_fail_the_synth_naming_the_option(context: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        DeploySettings.from_lookup(context.get, {})
