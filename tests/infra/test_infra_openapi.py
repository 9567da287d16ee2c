"""The OpenAPI document against what API Gateway is really deployed with."""

from __future__ import annotations

import json

import pytest

from tests.infra.stack_fixtures import CUSTOM, Synth, synthesize
from workflow.openapi import OPERATIONS, build_openapi


@pytest.fixture(scope="module")
def synth() -> Synth:
    return synthesize(CUSTOM)


def test_documented_request_bodies_are_the_api_gateway_request_models(synth: Synth) -> None:
    document = build_openapi()
    models = {
        m["Properties"]["Name"]: m["Properties"] for m in synth.resources("AWS::ApiGateway::Model").values()
    }
    for op in OPERATIONS:
        content = document["paths"][op.path][op.method]["requestBody"]["content"]
        name = content["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
        deployed = json.loads(json.dumps(models[name]["Schema"]))
        assert deployed.pop("$schema") == "http://json-schema.org/draft-04/schema#"
        assert deployed == document["components"]["schemas"][name], op.path


def test_every_documented_route_is_a_deployed_method_and_no_deployed_route_is_undocumented(
    synth: Synth,
) -> None:
    resources = {
        k: v["Properties"]["PathPart"] for k, v in synth.resources("AWS::ApiGateway::Resource").items()
    }
    deployed = {
        (f"/{resources[m['Properties']['ResourceId']['Ref']]}", m["Properties"]["HttpMethod"].lower())
        for m in synth.resources("AWS::ApiGateway::Method").values()
        if m["Properties"]["HttpMethod"] != "OPTIONS"
    }
    assert deployed == {(op.path, op.method) for op in OPERATIONS}
