"""Deploy rehearsal: the concrete-account template (what `cdk deploy` synthesizes)
run on moto through every outcome, with the template's own wiring."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest

from tests.infra.stack_fixtures import CONCRETE, synthesize
from tests.workflow.test_paths import APPROVED_PATH, BENIGN, TOXIC
from text2image.catalogue import ASL_SETTINGS
from text2image.domain.jobs import JOB_STATE_MACHINE_SUFFIX
from workflow.local.environment import LocalEnvironment
from workflow.ops.rehearsal import STANDIN_ENDPOINT_NAME, Rehearsal, RehearsalError
from workflow.standins.admin import inject_fault

EXISTING_ENDPOINT = "SDXL-From-Notebook"


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return synthesize(CONCRETE).template


@pytest.fixture
def rehearsal(env: LocalEnvironment, template: dict[str, Any]) -> Iterator[Rehearsal]:
    with Rehearsal(env, template).deployed() as deployed:
        yield deployed


def function_id(template: dict[str, Any], prefix: str) -> str:
    (logical_id,) = (
        k
        for k, v in template["Resources"].items()
        if v["Type"] == "AWS::Lambda::Function" and k.startswith(prefix)
    )
    return logical_id


def state_machine(template: dict[str, Any]) -> dict[str, Any]:
    # The sync machine (the job machine is the same file with another timeout).
    (machine,) = (
        v
        for v in template["Resources"].values()
        if v["Type"] == "AWS::StepFunctions::StateMachine"
        and not str(v["Properties"].get("StateMachineName", "")).endswith(JOB_STATE_MACHINE_SUFFIX)
    )
    return machine


def test_the_rehearsal_dispatches_every_substituted_arn_to_the_handler_the_template_names(
    rehearsal: Rehearsal, template: dict[str, Any]
) -> None:
    substituted = {
        value["Fn::GetAtt"][0] for name, value in substitutions(template).items() if name not in ASL_SETTINGS
    }
    assert set(rehearsal.plan.functions) == substituted
    for logical_id, function in rehearsal.plan.functions.items():
        properties = template["Resources"][logical_id]["Properties"]
        assert function.handler == properties["Handler"]
        assert set(function.variables) == set(properties["Environment"]["Variables"])
    generate = rehearsal.plan.functions[function_id(template, "FunctionsGenerateImage")].variables
    assert generate["ENDPOINT_NAME"] == STANDIN_ENDPOINT_NAME
    assert generate["IMAGE_BUCKET"] == rehearsal.bucket != rehearsal.env.bucket


def test_approved_from_the_template(rehearsal: Rehearsal) -> None:
    result = rehearsal.run({"prompt": BENIGN, "seed": 7})

    assert (result.status, result.http_status, result.states) == ("SUCCEEDED", 200, APPROVED_PATH)
    assert rehearsal.keys("generated_images/") == [result.body["image_key"]]
    assert rehearsal.keys("staging/") == []


def test_toxic_prompt_from_the_template(rehearsal: Rehearsal) -> None:
    result = rehearsal.run({"prompt": TOXIC})

    assert result.http_status == 422
    assert (result.body["stage"], result.body["reason_code"]) == ("prompt", "TOXIC_PROMPT")


def test_unsafe_image_from_the_template(rehearsal: Rehearsal) -> None:
    inject_fault(rehearsal.env.standins_url, "rekognition", "flag")
    result = rehearsal.run({"prompt": BENIGN})

    assert result.http_status == 422
    assert (result.body["stage"], result.body["reason_code"]) == ("image", "UNSAFE_IMAGE")
    assert rehearsal.keys() == []


def test_generation_failure_from_the_template(rehearsal: Rehearsal) -> None:
    inject_fault(rehearsal.env.standins_url, "sagemaker", "error", count=5)
    result = rehearsal.run({"prompt": BENIGN})

    assert (result.status, result.http_status, result.body["error"]) == ("FAILED", 502, "GenerationFailed")
    assert rehearsal.keys() == []


def test_an_existing_endpoint_is_called_by_the_name_the_template_gives(env: LocalEnvironment) -> None:
    template = synthesize({**CONCRETE, "existingEndpointName": EXISTING_ENDPOINT}).template
    with Rehearsal(env, template).deployed() as rehearsal:
        assert rehearsal.plan.endpoint_name == EXISTING_ENDPOINT
        assert rehearsal.run({"prompt": BENIGN}).http_status == 200


def test_the_local_environment_is_itself_again_after_a_rehearsal(
    env: LocalEnvironment, template: dict[str, Any]
) -> None:
    with Rehearsal(env, template).deployed():
        pass
    assert env.run({"prompt": BENIGN}).http_status == 200


# --- Broken wiring fails the rehearsal -----------------------------------------


def broken(template: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(template)


def variables(template: dict[str, Any], prefix: str) -> dict[str, Any]:
    """The Environment.Variables of the template's function whose logical id starts with `prefix`."""
    return template["Resources"][function_id(template, prefix)]["Properties"]["Environment"]["Variables"]


def substitutions(template: dict[str, Any]) -> dict[str, Any]:
    return state_machine(template)["Properties"]["DefinitionSubstitutions"]


def test_a_renamed_environment_variable_fails_the_rehearsal(
    template: dict[str, Any], env: LocalEnvironment
) -> None:
    bad = broken(template)
    store = variables(bad, "FunctionsStoreImage")
    store["URL_TTL"] = store.pop("URL_TTL_SECONDS")
    with pytest.raises(RehearsalError, match=r"FunctionsStoreImage.*reads \['URL_TTL_SECONDS'\]"):
        Rehearsal(env, bad)


def test_a_missing_substitution_fails_the_rehearsal(template: dict[str, Any], env: LocalEnvironment) -> None:
    bad = broken(template)
    del substitutions(bad)["ModerateImageFunctionArn"]
    with pytest.raises(
        RehearsalError, match=r"\['ModerateImageFunctionArn'\] with no DefinitionSubstitutions"
    ):
        Rehearsal(env, bad)


def test_a_function_wired_to_another_endpoint_fails_at_run_time(
    template: dict[str, Any], env: LocalEnvironment
) -> None:
    bad = broken(template)
    variables(bad, "FunctionsGenerateImage")["ENDPOINT_NAME"] = "some-other-endpoint"
    with Rehearsal(env, bad).deployed() as rehearsal:
        result = rehearsal.run({"prompt": BENIGN})
    assert (result.http_status, result.body["error"]) == (502, "GenerationFailed")


def test_swapped_substitutions_fail_at_run_time(template: dict[str, Any], env: LocalEnvironment) -> None:
    bad = broken(template)
    swapped = substitutions(bad)
    swapped["GenerateImageFunctionArn"], swapped["ModerateImageFunctionArn"] = (
        swapped["ModerateImageFunctionArn"],
        swapped["GenerateImageFunctionArn"],
    )
    with Rehearsal(env, bad).deployed() as rehearsal:
        result = rehearsal.run({"prompt": BENIGN})
    # GenerateImage's state now runs the moderation handler, which refuses its input.
    assert (result.status, result.http_status, result.body["error"]) == ("FAILED", 502, "GenerationFailed")
    assert "ModerateImage" not in result.states
