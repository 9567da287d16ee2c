"""The upload path of POST /verify in the template: the route, the scoped grants, the
lifecycle rule that removes abandoned uploads, and the CORS rule and CSP the page's form POST needs."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.infra.stack_fixtures import CONCRETE, CUSTOM, Synth, synthesize
from tests.infra.test_infra_access import methods
from tests.infra.test_infra_stack import as_list, statements
from text2image.domain.storage import VERIFY_UPLOAD_PREFIX


@pytest.fixture(scope="module")
def synth() -> Synth:
    return synthesize(CUSTOM)


def images_bucket(synth: Synth) -> tuple[str, dict[str, Any]]:
    (logical_id,) = [k for k in synth.resources("AWS::S3::Bucket") if k.startswith("BucketsImages")]
    return logical_id, synth.template["Resources"][logical_id]["Properties"]


def verify_function_id(synth: Synth) -> str:
    (logical_id,) = [
        k
        for k in synth.resources("AWS::Lambda::Function")
        if k.startswith("FunctionsVerifyApi") and "Role" not in k
    ]
    return logical_id


def uploads_object_arn(synth: Synth) -> dict[str, Any]:
    bucket, _ = images_bucket(synth)
    return {"Fn::Join": ["", [{"Fn::GetAtt": [bucket, "Arn"]}, f"/{VERIFY_UPLOAD_PREFIX}*"]]}


def test_post_verify_uploads_goes_to_the_verify_function_with_cors_preflight(synth: Synth) -> None:
    resources = synth.resources("AWS::ApiGateway::Resource")
    (verify,) = [k for k, v in resources.items() if v["Properties"]["PathPart"] == "verify"]
    (uploads,) = [
        k
        for k, v in resources.items()
        if v["Properties"]["PathPart"] == "uploads" and v["Properties"]["ParentId"] == {"Ref": verify}
    ]
    on_uploads = {
        v["Properties"]["HttpMethod"]: v["Properties"]
        for v in synth.resources("AWS::ApiGateway::Method").values()
        if v["Properties"]["ResourceId"] == {"Ref": uploads}
    }
    assert set(on_uploads) == {"POST", "OPTIONS"}
    integration = on_uploads["POST"]["Integration"]
    assert integration["Type"] == "AWS_PROXY"
    assert verify_function_id(synth) in json.dumps(integration["Uri"])


@pytest.mark.parametrize("auth", ["none", "cognito", "apiKey", "iam"])
def test_the_upload_route_is_guarded_exactly_as_post_verify_is(auth: str) -> None:
    routes = methods(synthesize({**CONCRETE, "apiAuth": auth}))
    keys = ("AuthorizationType", "AuthorizerId", "ApiKeyRequired")
    assert {key: routes["POST uploads"].get(key) for key in keys} == {
        key: routes["POST verify"].get(key) for key in keys
    }


def test_abandoned_uploads_expire_after_a_day(synth: Synth) -> None:
    _, properties = images_bucket(synth)
    rules = {rule.get("Prefix"): rule for rule in properties["LifecycleConfiguration"]["Rules"]}
    assert rules[VERIFY_UPLOAD_PREFIX]["ExpirationInDays"] == 1
    assert rules[VERIFY_UPLOAD_PREFIX]["Status"] == "Enabled"


def test_only_the_verify_function_may_touch_uploads_and_only_put_get_and_delete_them(synth: Synth) -> None:
    arn = uploads_object_arn(synth)
    on_uploads = [(role, s) for role, s in statements(synth) if arn in as_list(s["Resource"])]
    assert {role for role, _ in on_uploads} and all(
        role.startswith("FunctionsVerifyApiRole") for role, _ in on_uploads
    )
    actions = {action for _, s in on_uploads for action in as_list(s["Action"])}
    assert actions == {"s3:PutObject", "s3:GetObject", "s3:DeleteObject"}
    # Nothing bucket-wide, and no other S3 object of the bucket.
    verify_s3 = [
        s
        for role, s in statements(synth)
        if role.startswith("FunctionsVerifyApiRole")
        and any(a.startswith("s3:") for a in as_list(s["Action"]))
    ]
    assert all(as_list(s["Resource"]) == [arn] for s in verify_s3)


def test_the_verify_function_knows_the_bucket_and_signs_forms_for_its_regional_host(synth: Synth) -> None:
    bucket, _ = images_bucket(synth)
    variables = synth.function("VerifyApi")["Environment"]["Variables"]
    assert variables["IMAGE_BUCKET"] == {"Ref": bucket}
    assert variables["UPLOAD_ADDRESSING_STYLE"] == "virtual"


def test_the_page_may_post_the_form_to_the_bucket_and_nothing_else_cross_origin(synth: Synth) -> None:
    _, properties = images_bucket(synth)
    (rule,) = properties["CorsConfiguration"]["CorsRules"]
    assert rule["AllowedMethods"] == ["POST"]
    assert rule["AllowedOrigins"] == ["https://*.cloudfront.net"]


def test_the_page_csp_lets_it_connect_to_the_bucket_regional_host(synth: Synth) -> None:
    bucket, _ = images_bucket(synth)
    _, policy = synth.one("AWS::CloudFront::ResponseHeadersPolicy")
    csp = policy["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"][
        "ContentSecurityPolicy"
    ]
    parts = csp["ContentSecurityPolicy"]["Fn::Join"][1]
    text = json.dumps(parts)
    connect = text[text.index("connect-src") :]
    assert json.dumps({"Fn::GetAtt": [bucket, "RegionalDomainName"]}) in connect


def test_the_stack_synthesizes_without_a_dependency_cycle(synth: Synth) -> None:
    # The bucket's CORS rule may not name the distribution, whose CSP names the bucket.
    _, properties = images_bucket(synth)
    assert "SiteDistribution" not in json.dumps(properties)
