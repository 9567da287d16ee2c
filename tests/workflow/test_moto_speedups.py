"""The speed-ups of moto (`workflow.local.moto_speedups`) cache work, never change what an
execution does: each run still gets its own program, its own data and its own answer.
How fast they make a burst is printed by `make loadtest`, never asserted here."""

from __future__ import annotations

import json
import threading
import uuid
from typing import Any

import pytest
from moto.backends import list_of_moto_modules
from moto.core import responses
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils
from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
from moto.stepfunctions.parser.asl.utils import boto_client, json_path
from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

from workflow.local import moto_speedups
from workflow.local.environment import ROLE_ARN, LocalEnvironment
from workflow.local.moto_speedups import ENGINE_LAMBDA_CONNECTIONS, EXECUTION_ENDS, ExecutionEnds

RUNS = 5


def echo_machine(env: LocalEnvironment, wait_seconds: int = 0) -> str:
    """A new definition (never parsed in this process) whose output names its run and
    carries its input: what a program shared between runs would mix up."""
    states: dict[str, Any] = {
        "Echo": {
            "Type": "Pass",
            "Parameters": {"run.$": "$$.Execution.Name", "value.$": "$.value"},
            "End": True,
        }
    }
    start = "Echo"
    if wait_seconds:
        states["Pause"] = {"Type": "Wait", "Seconds": wait_seconds, "Next": "Echo"}
        start = "Pause"
    definition = {"Comment": f"speed-up test {uuid.uuid4()}", "StartAt": start, "States": states}
    return env.sfn.create_state_machine(
        name=f"echo-{uuid.uuid4().hex[:12]}", definition=json.dumps(definition), roleArn=ROLE_ARN
    )["stateMachineArn"]


def execution_arn(machine_arn: str, name: str) -> str:
    return f"{machine_arn.replace(':stateMachine:', ':execution:', 1)}:{name}"


@pytest.fixture
def parsed(monkeypatch) -> list[str]:
    """Every definition text moto's ASL parser is given from now on."""
    texts: list[str] = []
    original_parse = AmazonStateLanguageParser.parse

    def counting_parse(text: str) -> Any:
        texts.append(text)
        return original_parse(text)

    monkeypatch.setattr(AmazonStateLanguageParser, "parse", staticmethod(counting_parse))
    return texts


def run_echoes(env: LocalEnvironment, machine: str, runs: int) -> list[Any]:
    """`runs` executions started at once, each with its own input, then their outputs."""
    arns = [
        env.sfn.start_execution(stateMachineArn=machine, name=f"run-{i}", input=json.dumps({"value": i}))[
            "executionArn"
        ]
        for i in range(runs)
    ]
    return [env.wait(arn, timeout=30).output for arn in arns]


def echoes(runs: int) -> list[dict[str, Any]]:
    return [{"run": f"run-{i}", "value": i} for i in range(runs)]


def test_each_definition_is_parsed_once_and_every_run_gets_its_own_program(env, parsed, monkeypatch):
    machine = echo_machine(env)
    definition = env.sfn.describe_state_machine(stateMachineArn=machine)["definition"]
    parsed.clear()  # CreateStateMachine validates it by parsing it
    programs: list[Any] = []
    entrypoint = ExecutionWorker._get_evaluation_entrypoint

    def recording_entrypoint(self: ExecutionWorker) -> Any:
        programs.append(entrypoint(self))
        return programs[-1]

    monkeypatch.setattr(ExecutionWorker, "_get_evaluation_entrypoint", recording_entrypoint)

    assert run_echoes(env, machine, RUNS) == echoes(RUNS)
    assert parsed.count(definition) == 1
    assert len({id(program) for program in programs}) == RUNS


def test_a_program_that_cannot_be_pickled_is_parsed_for_every_run(env, parsed, monkeypatch):
    """As moto's Parallel state does, a program may hold a lock: it is never shared."""
    assert moto_speedups._pickled({"lock": threading.Lock()}) is None
    machine = echo_machine(env)
    parsed.clear()
    monkeypatch.setattr(moto_speedups, "_pickled", lambda program: None)

    assert run_echoes(env, machine, 3) == echoes(3)
    assert len(parsed) == 3


def test_the_engine_shares_one_lambda_client_sized_for_a_burst(env):
    first = boto_client.boto_client_for(region="us-east-1", service="lambda")

    assert lambda_eval_utils.boto_client_for(region="us-east-1", service="lambda") is first
    assert boto_client.boto_client_for(region="eu-west-1", service="lambda") is not first
    assert first.meta.config.max_pool_connections == ENGINE_LAMBDA_CONNECTIONS
    assert first.meta.endpoint_url == env.moto_url.replace("127.0.0.1", "localhost")
    # Still moto's client: no retries of its own, the state's Retry decides.
    assert first.meta.config.retries["total_max_attempts"] == 1


def test_a_json_path_is_parsed_once_and_still_reads_each_runs_own_data():
    path = f"$.request['{uuid.uuid4().hex}']"

    assert json_path.parse(path) is json_path.parse(path)
    key = path.split("'")[1]
    assert json_path.extract_json(path, {"request": {key: 1}}) == 1
    assert json_path.extract_json(path, {"request": {key: 2}}) == 2


def test_the_backend_for_a_host_is_found_once(monkeypatch):
    listed: list[int] = []

    def counting_modules() -> Any:
        listed.append(1)
        return list_of_moto_modules()

    monkeypatch.setattr("moto.backends.list_of_moto_modules", counting_modules)
    dispatcher = DomainDispatcherApplication(create_backend_app)
    host = f"sqs.{uuid.uuid4().hex[:8]}.amazonaws.com"

    assert dispatcher.get_backend_for_host(host) == "sqs"
    looked = len(listed)
    assert looked >= 1
    assert dispatcher.get_backend_for_host(host) == "sqs"
    assert len(listed) == looked


def test_a_response_class_s_methods_are_listed_once():
    class Answers:
        def describe_thing(self) -> None: ...

    assert responses.method_names_from_class(Answers) is responses.method_names_from_class(Answers)
    assert responses.method_names_from_class(Answers) == ["describe_thing"]


def test_a_waiter_that_comes_after_the_end_is_woken_at_once():
    ends = ExecutionEnds(remembered=2)
    ends.ended("arn:run-1")

    with ends.watching("arn:run-1") as ended:
        assert ended.is_set()
    with ends.watching("arn:run-2") as ended:
        assert not ended.is_set()
        ends.ended("arn:run-2")
        assert ended.is_set()
    ends.ended("arn:run-3")  # run-1 is forgotten: only the last two ends are kept
    with ends.watching("arn:run-1") as ended:
        assert not ended.is_set()


@pytest.mark.parametrize("wait_seconds", [0, 1])
def test_a_waiter_is_woken_when_the_engine_ends_its_run_and_then_reads_the_end(env, wait_seconds):
    machine = echo_machine(env, wait_seconds)
    name = f"woken-{uuid.uuid4().hex[:8]}"

    with EXECUTION_ENDS.watching(execution_arn(machine, name)) as ended:
        env.sfn.start_execution(stateMachineArn=machine, name=name, input=json.dumps({"value": "x"}))
        assert ended.wait(timeout=30)
        described = env.sfn.describe_execution(executionArn=execution_arn(machine, name))

    assert described["status"] == "SUCCEEDED"
    assert json.loads(described["output"]) == {"run": name, "value": "x"}


def test_an_answer_without_history_is_the_same_answer(env):
    machine = echo_machine(env)
    arn = env.sfn.start_execution(stateMachineArn=machine, name="plain", input=json.dumps({"value": 3}))[
        "executionArn"
    ]

    quick = env.wait(arn, timeout=30, history=False)
    full = env.wait(arn, timeout=30)

    assert quick.history == []
    assert [record.name for record in full.history] == ["Echo"]
    assert quick.model_dump(exclude={"history"}) == full.model_dump(exclude={"history"})
