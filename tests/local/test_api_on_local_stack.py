"""The local API in front of the real local stack: the unchanged ASL on moto,
the real handlers and the stand-ins. Its answers are the outcome table applied
to the execution, and its inspection data is the execution's history."""

from __future__ import annotations

import io
import json

import pytest
import requests
from PIL import Image
from werkzeug.test import Client

from tests.workflow.test_paths import APPROVED_PATH
from text2image.contract import http_response
from workflow.local.api import LocalApi
from workflow.local.backend import LocalBackend
from workflow.local.environment import LocalEnvironment
from workflow.standins.admin import inject_fault, install_translation

BENIGN = "a red bicycle leaning on a wall"
TOXIC = "you are a worthless idiot and I will hurt you"


@pytest.fixture
def api(env: LocalEnvironment) -> Client:
    return Client(LocalApi(LocalBackend(env)))


def latest_execution(env: LocalEnvironment) -> str:
    return env.list_executions(1)[0]["executionArn"]


def agrees_with_the_outcome_table(env: LocalEnvironment, status: int, body: dict) -> None:
    described = env.sfn.describe_execution(executionArn=latest_execution(env))
    output = json.loads(described["output"]) if described.get("output") else None
    expected = http_response(
        described["status"], output, described.get("error"), described.get("cause"), described["executionArn"]
    )
    assert (status, body) == expected


def test_a_benign_prompt_answers_200_with_a_presigned_url_to_the_local_bucket(api, env):
    response = api.post("/api/generate", json={"prompt": BENIGN, "seed": 11, "size": "1152x896"})

    assert response.status_code == 200
    body = response.json
    assert (body["status"], body["seed"], body["width"], body["height"]) == ("APPROVED", 11, 1152, 896)
    assert body["image_url"].startswith(env.moto_url)
    assert "Signature=" in body["image_url"]  # presigned, not public
    image = requests.get(body["image_url"], timeout=10)
    assert image.status_code == 200
    assert Image.open(io.BytesIO(image.content)).size == (1152, 896)
    agrees_with_the_outcome_table(env, response.status_code, body)


def test_a_toxic_prompt_answers_422_at_the_prompt_stage_with_labels(api, env):
    response = api.post("/api/generate", json={"prompt": TOXIC})

    assert response.status_code == 422
    assert (response.json["stage"], response.json["reason_code"]) == ("prompt", "TOXIC_PROMPT")
    assert response.json["labels"]
    agrees_with_the_outcome_table(env, response.status_code, response.json)


def test_a_flagged_image_answers_422_at_the_image_stage(api, env):
    inject_fault(env.standins_url, "rekognition", "flag")

    response = api.post("/api/generate", json={"prompt": BENIGN})

    assert response.status_code == 422
    assert response.json["stage"] == "image"
    assert any("Nudity" in label["name"] for label in response.json["labels"])


def test_a_failing_endpoint_answers_502_with_its_error_code_and_no_internals(api, env):
    inject_fault(env.standins_url, "sagemaker", "error", count=5)

    response = api.post("/api/generate", json={"prompt": BENIGN})

    assert response.status_code == 502
    assert response.json["error"] == "GenerationFailed"
    assert "Traceback" not in response.json["message"]
    agrees_with_the_outcome_table(env, response.status_code, response.json)


def test_an_invalid_request_starts_no_execution(api, env):
    before = len(env.list_executions(1000))

    response = api.post("/api/generate", json={"prompt": BENIGN, "size": "100x100"})

    assert response.status_code == 400
    assert len(env.list_executions(1000)) == before


def test_check_toxicity_is_answered_by_the_real_handler_through_a_proxy_event(api, env):
    before = len(env.list_executions(1000))
    toxic = api.post("/api/check-toxicity", json={"prompt": TOXIC})
    benign = api.post("/api/check-toxicity", json={"prompt": BENIGN})

    assert toxic.status_code == 200
    assert toxic.json["safe"] is False
    assert toxic.json["reason_code"] == "TOXIC_PROMPT"
    assert all(0 <= label["score"] <= 1 for label in toxic.json["labels"])
    assert (benign.status_code, benign.json["safe"]) == (200, True)
    assert [call.function_name for call in env.dispatcher.invocations] == ["CheckToxicityApi"] * 2
    assert len(env.list_executions(1000)) == before  # a check is not a generation


def test_check_toxicity_answers_a_chinese_prompts_language_and_the_english_it_checked(api, env):
    chinese, english = (
        "生成一个亚马逊雨林中的美洲虎图片",
        "Generate a picture of a jaguar in the Amazon rainforest",
    )
    install_translation(env.standins_url, "zh", chinese, english)

    checked = api.post("/api/check-toxicity", json={"prompt": chinese})
    untranslatable = api.post("/api/check-toxicity", json={"prompt": "une forêt sous la pluie au crépuscule"})

    assert (checked.status_code, checked.json["safe"]) == (200, True)
    assert (checked.json["prompt_language"], checked.json["translated_prompt"]) == ("zh", english)
    assert untranslatable.status_code == 200
    assert (untranslatable.json["safe"], untranslatable.json["reason_code"]) == (
        False,
        "UNSUPPORTED_LANGUAGE",
    )
    assert untranslatable.json["translated_prompt"] is None


def test_the_inspection_routes_show_the_last_run_state_by_state(api, env):
    inject_fault(env.standins_url, "sagemaker", "throttle", count=1)
    api.post("/api/generate", json={"prompt": BENIGN})

    latest = api.get("/api/executions?limit=5").json["executions"][0]
    assert latest["arn"] == latest_execution(env)
    assert (latest["outcome"], latest["http_status"]) == ("APPROVED", 200)
    assert latest["duration_ms"] > 0

    detail = api.get(f"/api/executions/{latest['id']}").json
    names = [state["name"] for state in detail["states"]]
    assert names == APPROVED_PATH
    generate = detail["states"][names.index("GenerateImage")]
    assert (generate["attempts"], generate["retries"]) == (2, 1)
    assert "EndpointThrottled" in generate["errors"]
    assert generate["output"]["generation"]["staged_key"].startswith("staging/")
    assert all(state["duration_ms"] is not None for state in detail["states"])
