"""The ASL file itself: valid, fully substituted, and speaking the handlers' error vocabulary."""

from __future__ import annotations

import json
import re
import subprocess

from repo_paths import ASL_FILE, REPO_ROOT
from text2image import errors
from text2image.catalogue import ASL_SETTINGS, FUNCTIONS
from text2image.contract import ApprovedResponse, RejectedResponse
from workflow.local.environment import asl_substitutions, substitute_placeholders
from workflow.ops.diagram import all_states

DEFINITION = ASL_FILE.read_text()


def validate(path) -> subprocess.CompletedProcess:
    validator = REPO_ROOT / "node_modules" / ".bin" / "asl-validator"
    return subprocess.run(
        [str(validator), "--json-path", str(path)], capture_output=True, text=True, check=False
    )


def test_the_definition_passes_asl_validator_as_written_and_as_deployed(tmp_path):
    substituted = tmp_path / "deployed.asl.json"
    substituted.write_text(substitute_placeholders(DEFINITION, asl_substitutions()))
    for path in (ASL_FILE, substituted):
        outcome = validate(path)
        assert outcome.returncode == 0, outcome.stdout + outcome.stderr


def test_asl_validator_rejects_a_broken_definition(tmp_path):
    broken = json.loads(DEFINITION)
    broken["States"]["IsPromptSafe"]["Default"] = "NoSuchState"
    path = tmp_path / "broken.asl.json"
    path.write_text(json.dumps(broken))
    assert validate(path).returncode != 0


def test_every_placeholder_is_one_the_catalogue_provides_and_gets_substituted():
    placeholders = set(re.findall(r"\$\{(\w+)\}", DEFINITION))
    functions = {spec.asl_placeholder for spec in FUNCTIONS if spec.asl_placeholder}
    assert placeholders == functions | set(ASL_SETTINGS)
    assert "${" not in substitute_placeholders(DEFINITION, asl_substitutions())


def test_the_timeout_is_in_the_file_and_inside_api_gateways_29_seconds():
    assert 0 < json.loads(DEFINITION)["TimeoutSeconds"] < 29


def test_every_error_the_asl_names_is_one_a_handler_can_raise():
    definition = json.loads(DEFINITION)
    named = {
        error
        for state in definition["States"].values()
        for rule in state.get("Retry", []) + state.get("Catch", [])
        for error in rule["ErrorEquals"]
    }
    ours = {name for name in named if not name.startswith(("States.", "Lambda."))}
    assert ours, "the ASL retries or catches none of the handlers' errors"
    for name in ours:
        assert issubclass(getattr(errors, name), errors.WorkflowError), name


def test_validation_errors_are_never_retried():
    for state in json.loads(DEFINITION)["States"].values():
        for rule in state.get("Retry", []):
            assert "InvalidRequest" not in rule["ErrorEquals"]
            assert "States.ALL" not in rule["ErrorEquals"]


def test_the_answering_states_build_exactly_the_contracts_response_bodies():
    states = json.loads(DEFINITION)["States"]

    def fields(state: str) -> set[str]:
        return {key.removesuffix(".$") for key in states[state]["Parameters"]}

    assert fields("ImageApproved") == set(ApprovedResponse.model_fields)
    assert fields("PromptRejected") == fields("ImageRejected") == set(RejectedResponse.model_fields)


def test_generate_image_is_given_only_the_checked_texts_by_the_check_state():
    parameters = json.loads(DEFINITION)["States"]["GenerateImage"]["Parameters"]
    assert parameters["checked_prompts.$"] == "$.checked_prompts"


def test_every_function_times_out_before_the_state_that_calls_it_gives_up():
    """So the state's Catch clean-up runs after the handler's last possible write."""
    definition = json.loads(DEFINITION)
    placeholders = {f"${{{spec.asl_placeholder}}}": spec for spec in FUNCTIONS if spec.asl_placeholder}
    tasks = [state for state in definition["States"].values() if state["Type"] == "Task"]
    assert tasks
    for state in tasks:
        spec = placeholders[state["Resource"]]
        assert spec.timeout_seconds < state["TimeoutSeconds"], spec.name


def test_the_admission_budget_is_the_state_machines_timeout():
    from text2image.config import AdmissionConfig

    budget = AdmissionConfig.model_fields["run_budget_seconds"].default
    assert budget == json.loads(DEFINITION)["TimeoutSeconds"]


def test_an_idempotency_claim_is_leased_past_the_state_machines_timeout_and_a_repeat_waits_less():
    from text2image.config import IdempotencyConfig

    fields = IdempotencyConfig.model_fields
    assert fields["run_budget_seconds"].default == json.loads(DEFINITION)["TimeoutSeconds"]
    assert fields["wait_seconds"].default < fields["run_budget_seconds"].default


def _successors(state: dict) -> list[str]:
    following = [state.get("Next"), state.get("Default")]
    following += [choice["Next"] for choice in state.get("Choices", [])]
    following += [catch["Next"] for catch in state.get("Catch", [])]
    return [name for name in following if name]


def test_every_path_after_joining_the_queue_gives_its_place_or_slot_back():
    """From ReserveGenerationPlace to every end, through every Choice and Catch, a
    release runs, except where the admission itself refused and left the queue
    (GenerationBusy) or a job's run hands over to its next run, which keeps the
    place (HandOverToNextRun); neither is ever reached holding a slot or an image."""
    states = json.loads(DEFINITION)["States"]
    releases = {
        name
        for name, state in states.items()
        if state.get("Resource") == "${ReleaseGenerationSlotFunctionArn}"
    }
    assert releases
    admission_ends = {"GenerationBusy", "HandOverToNextRun"}
    unreleased_ends: list[list[str]] = []
    admission_paths: list[list[str]] = []

    def walk(name: str, path: list[str]) -> None:
        if name in releases:
            return
        if name in path:  # the wait loop: already explored from its first visit
            return
        path = [*path, name]
        state = states[name]
        if state.get("End") or state["Type"] in {"Fail", "Succeed"}:
            reached = admission_ends.intersection(path)
            (admission_paths if reached else unreleased_ends).append(path)
            return
        for following in _successors(state):
            walk(following, path)

    walk("ReserveGenerationPlace", [])
    assert unreleased_ends == []
    assert {end for path in admission_paths for end in admission_ends.intersection(path)} == admission_ends
    # Both are reached straight from an admission decision, before any image is drawn
    # (and then end the run through the one exit every answer takes).
    for path in admission_paths:
        (end,) = admission_ends.intersection(path)
        assert path[path.index(end) - 1] in {"IsThereRoomForThisRun", "IsGenerationSlotAcquired"}, path
        assert "GenerateImage" not in path, path


def test_only_a_requeue_decision_hands_over_and_the_hand_over_says_so_to_run_job():
    from text2image.domain.jobs import HAND_OVER_STATUS

    states = json.loads(DEFINITION)["States"]
    leading_there = [
        (name, choice["StringEquals"])
        for name, state in states.items()
        for choice in state.get("Choices", [])
        if choice["Next"] == "HandOverToNextRun"
    ]
    assert leading_there == [("IsGenerationSlotAcquired", "requeue")]
    assert states["HandOverToNextRun"]["Parameters"]["status"] == HAND_OVER_STATUS


def test_every_release_names_the_same_holder_the_admission_took():
    """A job's runs share one holder derived from the execution name: every state that
    gives a slot or a place back passes the name, as the admission's states do."""
    states = json.loads(DEFINITION)["States"]
    for name, state in states.items():
        if state.get("Resource") in {
            "${ReleaseGenerationSlotFunctionArn}",
            "${AcquireGenerationSlotFunctionArn}",
        }:
            assert state["Parameters"]["execution_name.$"] == "$$.Execution.Name", name


# The ends of a run that does not hold the key: it answers with the holder's answer,
# a 409, or a 400 for a key it could not even claim.
NOT_HOLDING_THE_KEY = {
    "ReplayFirstAnswer",
    "IdempotencyKeyReused",
    "RequestInProgress",
    "IdempotencyKeyInvalid",
}


KEY_PATH = "$$.Execution.Input.idempotency_key"


def _successors_with_a_key(state: dict) -> list[str]:
    """A run that carries a key takes the key's branch of a Choice that asks for it."""
    for choice in state.get("Choices", []):
        if choice.get("Variable") == KEY_PATH and choice.get("IsPresent") is True:
            return [choice["Next"]]
    return _successors(state)


def ends_reached_without(states: dict, start: str, through: set[str]) -> list[list[str]]:
    """Every path a run with a key takes from `start` to an end, passing none of `through`."""
    ends: list[list[str]] = []

    def walk(name: str, path: list[str]) -> None:
        if name in through or name in path:  # done, or a loop already explored
            return
        path = [*path, name]
        state = states[name]
        if state.get("End") or state["Type"] in {"Fail", "Succeed"}:
            ends.append(path)
            return
        for following in _successors_with_a_key(state):
            walk(following, path)

    walk(start, [])
    return ends


def test_every_path_after_claiming_an_idempotency_key_remembers_or_releases_it():
    """From the claim to every end, through every Choice and Catch, SettleIdempotencyKey
    runs (it keeps a final answer, and frees the key after any other end), except
    where this run never held the key."""
    states = json.loads(DEFINITION)["States"]
    unsettled = ends_reached_without(states, "ClaimIdempotencyKey", {"SettleIdempotencyKey"})
    assert unsettled, "the walk found no end at all"
    assert {path[-1] for path in unsettled} == NOT_HOLDING_THE_KEY, unsettled
    assert ends_reached_without(states, "SettleIdempotencyKey", set()) != []


def test_a_run_without_a_key_never_reaches_the_key_states_and_ends_as_before():
    """Jobs and sync requests without the header: the key's Choice states skip them, and
    the answers end the run successfully, the failures with their own error and cause."""
    states = json.loads(DEFINITION)["States"]
    assert states["IsThereAnIdempotencyKey"]["Default"] == "ReserveCallersQuota"
    assert states["ShouldSettleIdempotencyKey"]["Default"] == "ShouldRefundCallersQuota"
    assert states["ShouldRefundCallersQuota"]["Default"] == "DidTheRunFail"
    failing = [
        name for name, state in states.items() if state.get("Parameters", {}).get("status") == "FAILED"
    ]
    assert {"RequestInvalid", "PromptCheckFailed", "GenerationFailed", "GenerationTimedOut"} <= set(failing)
    for name in failing:
        assert set(states[name]["Parameters"]) == {"status", "error", "cause"}, name
        assert states[name]["Next"] == "ShouldSettleIdempotencyKey", name
    assert states["DidTheRunFail"]["Choices"] == [
        {"Variable": "$.status", "StringEquals": "FAILED", "Next": "RunFailed"}
    ]
    assert (states["RunFailed"]["ErrorPath"], states["RunFailed"]["CausePath"]) == ("$.error", "$.cause")


def test_the_key_states_read_the_key_where_the_request_template_puts_it():
    from text2image.domain.idempotency import IDEMPOTENCY_KEY_FIELD, MAX_IDEMPOTENCY_KEY_CHARS

    states = json.loads(DEFINITION)["States"]
    path = f"$$.Execution.Input.{IDEMPOTENCY_KEY_FIELD}"
    assert path == KEY_PATH
    assert states["IsThereAnIdempotencyKey"]["Choices"][0]["Variable"] == path
    assert states["ShouldSettleIdempotencyKey"]["Choices"][0]["Variable"] == path
    assert states["ClaimIdempotencyKey"]["Parameters"]["key.$"] == path
    assert states["SettleIdempotencyKey"]["Parameters"]["key.$"] == path
    assert f"1 to {MAX_IDEMPOTENCY_KEY_CHARS} characters" in states["IdempotencyKeyInvalid"]["Cause"]


def test_the_machine_and_every_state_say_in_a_comment_what_they_decide_or_do():
    """The ASL reads like the design card: a reader needs no handler to follow it."""
    definition = json.loads(DEFINITION)
    assert definition["Comment"].strip()
    states = all_states(definition["States"])
    uncommented = [name for name, state in states.items() if not state.get("Comment", "").strip()]
    assert uncommented == [], f"states without a Comment: {uncommented}"


def test_a_state_inside_a_map_is_found_by_the_comment_check():
    definition = {"Inner": {"Type": "Map", "ItemProcessor": {"States": {"Deep": {"Type": "Pass"}}}}}
    assert set(all_states(definition)) == {"Inner", "Deep"}
