"""Fault injection turning into the botocore exceptions the Lambdas retry on,
and the server's own routes, limits and call log."""

from __future__ import annotations

import json
import logging
import time

import pytest
import requests
from botocore.exceptions import ClientError

from text2image.adapters.errors import THROTTLING_CODES, TRANSIENT_CODES
from workflow.standins.admin import inject_fault

SDXL_BODY = json.dumps(
    {"text_prompts": [{"text": "a cat", "weight": 1.0}], "width": 256, "height": 256, "steps": 2, "seed": 1}
)


def call(service: str, comprehend, rekognition, sagemaker):
    if service == "comprehend":
        return comprehend.detect_toxic_content(LanguageCode="en", TextSegments=[{"Text": "a cat"}])
    if service == "rekognition":
        return rekognition.detect_moderation_labels(Image={"Bytes": b"not an image"})
    return sagemaker.invoke_endpoint(EndpointName="sdxl", ContentType="application/json", Body=SDXL_BODY)


@pytest.mark.parametrize("service", ["comprehend", "rekognition", "sagemaker"])
def test_an_injected_throttle_is_the_services_throttling_error(
    standins, comprehend, rekognition, sagemaker, service
):
    inject_fault(standins.standins_url, service, "throttle")

    with pytest.raises(ClientError) as error:
        call(service, comprehend, rekognition, sagemaker)
    assert error.value.response["Error"]["Code"] in THROTTLING_CODES


@pytest.mark.parametrize(
    ("service", "code", "status"),
    [
        ("comprehend", "InternalServerException", 500),
        ("rekognition", "InternalServerError", 500),
        ("sagemaker", "ModelError", 424),
    ],
)
def test_an_injected_error_is_the_services_own_error(
    standins, comprehend, rekognition, sagemaker, service, code, status
):
    inject_fault(standins.standins_url, service, "error")

    with pytest.raises(ClientError) as error:
        call(service, comprehend, rekognition, sagemaker)
    assert (
        error.value.response["Error"]["Code"],
        error.value.response["ResponseMetadata"]["HTTPStatusCode"],
    ) == (
        code,
        status,
    )
    if service != "sagemaker":
        assert code in TRANSIENT_CODES


def test_a_fault_applies_to_the_next_n_calls_only(standins, comprehend):
    inject_fault(standins.standins_url, "comprehend", "throttle", count=2)
    for _ in range(2):
        with pytest.raises(comprehend.exceptions.TooManyRequestsException):
            call("comprehend", comprehend, None, None)
    assert call("comprehend", comprehend, None, None)["ResultList"]


def test_a_slow_fault_delays_the_answer(standins, comprehend):
    inject_fault(standins.standins_url, "comprehend", "slow", delay_seconds=0.5)
    started = time.perf_counter()
    call("comprehend", comprehend, None, None)
    assert time.perf_counter() - started >= 0.5


@pytest.mark.parametrize(
    "fault",
    [
        {"service": "s3", "kind": "throttle"},
        {"service": "comprehend", "kind": "explode"},
        {"service": "sagemaker", "kind": "flag"},
        {"service": "comprehend", "kind": "throttle", "count": 0},
    ],
)
def test_a_bad_fault_is_refused(standins, fault):
    response = requests.post(f"{standins.standins_url}/_admin/faults", json=fault, timeout=10)
    assert response.status_code == 400
    assert requests.get(f"{standins.standins_url}/_admin/faults", timeout=10).json() == {}


def test_the_health_route(standins):
    response = requests.get(f"{standins.standins_url}/_health", timeout=10)
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_an_unknown_operation_is_refused(standins):
    response = requests.post(
        standins.standins_url,
        data="{}",
        headers={"X-Amz-Target": "Comprehend_20171127.DetectSentiment"},
        timeout=10,
    )
    assert (response.status_code, response.json()["__type"]) == (400, "UnknownOperationException")


def test_a_body_that_is_not_json_is_a_serialization_error(standins):
    response = requests.post(
        standins.standins_url,
        data="{not json",
        headers={"X-Amz-Target": "Comprehend_20171127.DetectDominantLanguage"},
        timeout=10,
    )
    assert (response.status_code, response.json()["__type"]) == (400, "SerializationException")


def test_requests_over_the_size_limit_are_refused_with_413(standins):
    response = requests.post(
        standins.standins_url,
        data=b"x" * (8 * 1024 * 1024 + 1),
        headers={"X-Amz-Target": "RekognitionService.DetectModerationLabels"},
        timeout=30,
    )
    assert response.status_code == 413


def test_each_call_is_logged_in_one_line(standins, comprehend, caplog):
    with caplog.at_level(logging.INFO, logger="standins"):
        call("comprehend", comprehend, None, None)
    (line,) = [record.getMessage() for record in caplog.records if record.name == "standins"]
    assert line.startswith("POST Comprehend_20171127.DetectToxicContent 200 ")
    assert line.endswith(" ms")
