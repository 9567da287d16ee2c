import pytest
from jsonschema import Draft4Validator
from pydantic import ValidationError

from text2image.contract import (
    GENERATE_REQUEST_SCHEMA,
    MAX_PROMPT_CHARS,
    OUTCOME_RULES,
    GenerateRequest,
    http_response,
    response_headers,
)

VALID = [
    {"prompt": "a jaguar"},
    {"prompt": "a jaguar", "negative_prompt": "", "seed": 0, "size": "640x1536"},
    {"prompt": "x" * MAX_PROMPT_CHARS, "seed": 4_294_967_295},
]
INVALID = [
    {},
    {"prompt": ""},
    {"prompt": "   "},
    {"prompt": "x" * (MAX_PROMPT_CHARS + 1)},
    {"prompt": "a", "seed": -1},
    {"prompt": "a", "seed": 4_294_967_296},
    {"prompt": "a", "size": "1000x1000"},
    {"prompt": "a", "steps": 150},
    {"prompt": 5},
]


@pytest.mark.parametrize("body", VALID)
def test_the_schema_and_the_model_accept_the_same_valid_bodies(body):
    assert not list(Draft4Validator(GENERATE_REQUEST_SCHEMA).iter_errors(body))
    GenerateRequest.model_validate(body)


@pytest.mark.parametrize("body", INVALID)
def test_the_schema_and_the_model_refuse_the_same_invalid_bodies(body):
    assert list(Draft4Validator(GENERATE_REQUEST_SCHEMA).iter_errors(body))
    with pytest.raises(ValidationError):
        GenerateRequest.model_validate(body, strict=True)


def test_an_approved_execution_answers_200_with_its_output():
    output = {"status": "APPROVED", "image_url": "u"}
    assert http_response("SUCCEEDED", output) == (200, output)


def test_a_rejection_answers_422_with_stage_and_labels():
    output = {"status": "REJECTED", "stage": "prompt", "labels": [{"name": "INSULT", "score": 0.9}]}
    assert http_response("SUCCEEDED", output) == (422, output)


def test_an_invalid_request_answers_400_and_other_failures_502_with_their_error_code():
    status, body = http_response("FAILED", None, "InvalidRequest", "The request does not match the API.")
    assert (status, body["error"]) == (400, "InvalidRequest")
    status, body = http_response("FAILED", None, "GenerationFailed", "The image could not be generated.")
    assert (status, body["status"], body["error"]) == (502, "FAILED", "GenerationFailed")
    assert body["message"] == "The image could not be generated."


def test_a_timed_out_execution_answers_504():
    status, body = http_response("TIMED_OUT", None, "States.Timeout", "internal detail")
    assert (status, body["status"], body["error"]) == (504, "TIMED_OUT", "Timeout")
    assert "internal detail" not in body["message"]


def test_an_unexpected_successful_output_is_a_502_not_a_200():
    assert http_response("SUCCEEDED", {"status": "MAYBE"})[0] == 502


def test_every_execution_status_has_a_rule():
    assert {rule.execution_status for rule in OUTCOME_RULES} == {
        "SUCCEEDED",
        "FAILED",
        "TIMED_OUT",
        "ABORTED",
    }


def test_a_generation_out_of_time_answers_504_not_a_generation_failure():
    status, body = http_response("FAILED", None, "GenerationTimedOut", "Not in the time this request allows.")
    assert (status, body["error"]) == (504, "GenerationTimedOut")
    assert response_headers(status, body) == {}


def test_busy_answers_503_with_retry_after_from_the_output():
    output = {"status": "BUSY", "error": "Busy", "message": "busy", "retry_after": 60}
    status, body = http_response("SUCCEEDED", output)
    assert (status, body) == (503, output)
    assert response_headers(status, body) == {"Retry-After": "60"}


def test_only_busy_answers_carry_retry_after():
    approved = {"status": "APPROVED", "retry_after": 5}
    assert response_headers(*http_response("SUCCEEDED", approved)) == {}
