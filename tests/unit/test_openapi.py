"""The OpenAPI document: generated from the contract, committed, valid, and true to the outcome table."""

from __future__ import annotations

import json
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from werkzeug.test import Client

import workflow.ops.openapi as openapi
from tests.local.test_api import APPROVED, BUSY, IN_PROGRESS, PAUSED, QUOTA_EXCEEDED, REJECTED
from text2image.contract import (
    CHECK_TOXICITY_REQUEST_SCHEMA,
    GENERATE_REQUEST_SCHEMA,
    OUTCOME_RULES,
    ApprovedResponse,
    ErrorResponse,
    OutcomeRule,
    http_response,
    invalid_request_body,
)
from workflow.local.api import LocalApi
from workflow.ops.openapi import OPENAPI_FILE, OPERATIONS, build_openapi, outcome_responses, render


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return build_openapi()


def response_validator(document: dict[str, Any], path: str, status: int) -> Draft202012Validator:
    resource = Resource.from_contents(document, default_specification=DRAFT202012)
    registry = Registry().with_resource("urn:openapi", resource)
    schema = document["paths"][path]["post"]["responses"][str(status)]["content"]["application/json"][
        "schema"
    ]
    return Draft202012Validator({"$ref": f"urn:openapi{schema['$ref']}"}, registry=registry)


def test_the_committed_document_is_the_generated_one(document: dict[str, Any]) -> None:
    assert OPENAPI_FILE.read_text() == render(document), "run: python -m workflow.ops.openapi --write"


def test_the_document_is_valid_openapi_3_1(document: dict[str, Any]) -> None:
    assert document["openapi"].startswith("3.1")
    validate(document)


def test_request_bodies_are_the_request_models_api_gateway_validates_with(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    for path, model in (
        ("/generate", GENERATE_REQUEST_SCHEMA),
        ("/check-toxicity", CHECK_TOXICITY_REQUEST_SCHEMA),
    ):
        ref = document["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        assert schemas[ref.rsplit("/", 1)[-1]] == {k: v for k, v in model.items() if k != "$schema"}


def test_generate_declares_every_status_of_the_outcome_table(document: dict[str, Any]) -> None:
    declared = {int(status) for status in document["paths"]["/generate"]["post"]["responses"]}
    assert {rule.http_status for rule in OUTCOME_RULES} | {400, 401, 403, 429, 502} == declared


@pytest.mark.parametrize("rule", OUTCOME_RULES, ids=lambda r: f"{r.execution_status}-{r.http_status}")
def test_each_outcome_rows_answer_matches_the_body_the_document_declares(
    document: dict[str, Any], rule: OutcomeRule
) -> None:
    output = {
        "APPROVED": APPROVED,
        "REJECTED": REJECTED,
        "BUSY": BUSY,
        "CONFLICT": IN_PROGRESS,
        "PAUSED": PAUSED,
        "QUOTA_EXCEEDED": QUOTA_EXCEEDED,
    }.get(str(rule.output_status))
    status, body = http_response(rule.execution_status, output, rule.error or "SomeError", "cause", "arn:x")
    assert status == rule.http_status
    response_validator(document, "/generate", status).validate(body)


def test_a_refused_body_matches_the_declared_400(document: dict[str, Any]) -> None:
    for path in ("/generate", "/check-toxicity"):
        response_validator(document, path, 400).validate(invalid_request_body("prompt is required"))


def test_the_declared_bodies_refuse_what_the_contract_refuses(document: dict[str, Any]) -> None:
    with pytest.raises(Exception, match="image_url"):
        response_validator(document, "/generate", 200).validate({**APPROVED, "image_url": 7})
    with pytest.raises(Exception, match="stage"):
        response_validator(document, "/generate", 422).validate({**REJECTED, "stage": "elsewhere"})


def test_a_new_outcome_row_is_documented_with_no_edit_to_the_generator(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    unavailable = OutcomeRule("FAILED", 507, error="OutOfStorage")
    monkeypatch.setattr(openapi, "OUTCOME_RULES", (*OUTCOME_RULES[:2], unavailable, *OUTCOME_RULES[2:]))
    answers = outcome_responses()
    assert answers[507] == ("Run failed (OutOfStorage).", ErrorResponse)


def test_one_status_with_two_body_shapes_is_refused_rather_than_documented_wrongly(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(openapi, "OUTCOME_RULES", (*OUTCOME_RULES, OutcomeRule("SUCCEEDED", 502, "APPROVED")))
    with pytest.raises(ValueError, match="HTTP 502 answers with more than one body shape"):
        outcome_responses()


def test_every_documented_route_is_a_route_of_the_local_api() -> None:
    api = LocalApi(backend=None)  # type: ignore[arg-type]
    adapter = api.url_map.bind("localhost")
    for op in OPERATIONS:
        endpoint, _ = adapter.match(f"/api{op.path}", method=op.method.upper())
        assert endpoint not in {"api_not_found", "static"}, op.path


def test_the_local_api_serves_the_document() -> None:
    client = Client(LocalApi(backend=None))  # type: ignore[arg-type]
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert json.loads(response.data) == json.loads(OPENAPI_FILE.read_text())


def test_a_route_without_a_body_and_with_a_path_parameter_is_documented_and_valid() -> None:
    # The shape of a route the jobs work adds: `GET /jobs/{job_id}`.
    status = openapi.Operation(
        path="/jobs/{job_id}",
        method="get",
        operation_id="getJob",
        summary="A job's state.",
        request_schema=None,
        responses={200: ("The job.", ApprovedResponse), 404: ("No such job.", ErrorResponse)},
    )
    document = build_openapi((*OPERATIONS, status))
    validate(document)
    operation = document["paths"]["/jobs/{job_id}"]["get"]
    assert operation["parameters"] == [
        {"name": "job_id", "in": "path", "required": True, "schema": {"type": "string"}}
    ]
    assert "requestBody" not in operation
    assert set(operation["responses"]) == {"200", "401", "403", "404", "429"}


def test_both_posting_routes_document_the_idempotency_key_header_and_generate_its_409s(
    document: dict[str, Any],
) -> None:
    from text2image.contract import ConflictResponse
    from text2image.domain.idempotency import IDEMPOTENCY_HEADER, MAX_IDEMPOTENCY_KEY_CHARS

    for path in ("/generate", "/jobs"):
        (header,) = [p for p in document["paths"][path]["post"]["parameters"] if p["in"] == "header"]
        assert (header["name"], header["required"]) == (IDEMPOTENCY_HEADER, False)
        assert header["schema"]["maxLength"] == MAX_IDEMPOTENCY_KEY_CHARS
    conflict = document["paths"]["/generate"]["post"]["responses"]["409"]
    assert conflict["content"]["application/json"]["schema"]["$ref"].endswith("/ConflictResponse")
    assert "Retry-After" in conflict["headers"]
    body = ConflictResponse(error="RequestInProgress", message="m", retry_after=3).model_dump()
    response_validator(document, "/generate", 409).validate(body)
