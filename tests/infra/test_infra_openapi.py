"""The OpenAPI document against what API Gateway is really deployed with."""

from __future__ import annotations

import json

import pytest

from tests.infra.stack_fixtures import CUSTOM, Synth, synthesize
from workflow.ops.openapi import OPERATIONS, build_openapi


@pytest.fixture(scope="module")
def synth() -> Synth:
    return synthesize(CUSTOM)


def test_documented_request_bodies_are_the_api_gateway_request_models(synth: Synth) -> None:
    document = build_openapi()
    models = {
        m["Properties"]["Name"]: m["Properties"] for m in synth.resources("AWS::ApiGateway::Model").values()
    }
    (rest_api,) = synth.resources("AWS::ApiGateway::RestApi").values()
    for op in OPERATIONS:
        if op.binary_body:
            # A raw body has no request model: API Gateway passes it on as a binary media type.
            content = document["paths"][op.path][op.method]["requestBody"]["content"]
            binary_types = set(rest_api["Properties"]["BinaryMediaTypes"])
            assert set(op.binary_body) <= binary_types
            # A JSON alternative (POST /verify's upload_id) reaches the function as text.
            alternative = {"application/json"} if op.json_alternative else set()
            assert set(content) == set(op.binary_body) | alternative
            assert not alternative & binary_types
            continue
        if op.request_schema is None:
            assert "requestBody" not in document["paths"][op.path][op.method]
            continue
        content = document["paths"][op.path][op.method]["requestBody"]["content"]
        name = content["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
        deployed = json.loads(json.dumps(models[name]["Schema"]))
        assert deployed.pop("$schema") == "http://json-schema.org/draft-04/schema#"
        assert deployed == document["components"]["schemas"][name], op.path


def test_every_documented_route_is_a_deployed_method_and_no_deployed_route_is_undocumented(
    synth: Synth,
) -> None:
    resources = synth.resources("AWS::ApiGateway::Resource")

    def path(resource_id: str) -> str:
        properties = resources[resource_id]["Properties"]
        parent = properties["ParentId"]
        prefix = path(parent["Ref"]) if isinstance(parent, dict) and "Ref" in parent else ""
        return f"{prefix}/{properties['PathPart']}"

    deployed = {
        (path(m["Properties"]["ResourceId"]["Ref"]), m["Properties"]["HttpMethod"].lower())
        for m in synth.resources("AWS::ApiGateway::Method").values()
        if m["Properties"]["HttpMethod"] != "OPTIONS"
    }
    assert deployed == {(op.path, op.method) for op in OPERATIONS}
