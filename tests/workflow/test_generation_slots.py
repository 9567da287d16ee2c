"""The generation semaphore: DynamoDB on moto, the real ASL and handlers."""

from __future__ import annotations

import threading
import time

import boto3
import pytest

from tests.conftest import ANSWER_END, FAILURE_END, endpoint_answers, wait_for_endpoint_answers
from text2image.adapters.dynamodb import SlotTable
from workflow.local.environment import ENDPOINT_NAME, TABLE_NAMES, LocalEnvironment
from workflow.standins.admin import inject_fault

BENIGN = "a jaguar in the Amazon rainforest"


def slot_table(env: LocalEnvironment) -> SlotTable:
    table = SlotTable(env.dynamodb, TABLE_NAMES["SLOTS_TABLE"], ENDPOINT_NAME)
    table.ensure_pool()
    return table


def test_concurrent_acquirers_never_hold_more_slots_than_the_capacity(env: LocalEnvironment):
    capacity, workers, rounds = 2, 12, 3
    table = slot_table(env)
    # One client per thread, as each Lambda container has its own.
    session = boto3.session.Session(
        aws_access_key_id="local", aws_secret_access_key="local", region_name="us-east-1"
    )
    lock = threading.Lock()
    holding: set[str] = set()
    most = 0
    served: list[str] = []

    def worker(index: int) -> None:
        nonlocal most
        mine = SlotTable(
            session.client("dynamodb", endpoint_url=env.moto_url), TABLE_NAMES["SLOTS_TABLE"], ENDPOINT_NAME
        )
        for turn in range(rounds):
            holder = f"run-{index}-{turn}"
            deadline = time.monotonic() + 30
            while not mine.try_acquire(holder, capacity, time.time() + 60):
                assert time.monotonic() < deadline, "a slot never came back"
                time.sleep(0.01)
            with lock:
                holding.add(holder)
                most = max(most, len(holding))
            time.sleep(0.02)
            with lock:
                holding.discard(holder)
                served.append(holder)
            mine.release(holder)

    threads = [threading.Thread(target=worker, args=(index,)) for index in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert len(served) == workers * rounds  # everyone was served in the end
    assert most == capacity  # the slots were used, never exceeded
    assert table.read().leases == {}


def test_a_run_gets_the_slot_a_dead_run_held_once_its_lease_has_expired(env: LocalEnvironment):
    table = slot_table(env)
    assert table.try_acquire("arn:dead-run", capacity=1, lease_expiry=time.time() - 1)

    result = env.run({"prompt": BENIGN})

    assert result.http_status == 200
    assert "arn:dead-run" not in table.read().leases
    assert table.read().leases == {}  # and the run gave its own back


def test_a_run_whose_turn_cannot_come_in_time_is_refused_at_once_without_gpu_time(env: LocalEnvironment):
    table = slot_table(env)
    now = time.time()
    table.try_acquire("arn:holder", capacity=1, lease_expiry=now + 60)
    for index in range(3):  # three runs already queue for the one slot
        table.wait(f"arn:waiter-{index}", now - 3 + index)

    started = time.monotonic()
    result = env.run({"prompt": BENIGN})

    assert time.monotonic() - started < 5
    assert result.http_status == 503
    assert result.body["error"] == "Busy"
    assert result.body["retry_after"] >= 24  # four turns of the assumed 8 s generation, at least
    # Refused on arrival, before the prompt check: no other work was done.
    assert result.states == [
        "ReceiveRequest",
        "IsThereAnIdempotencyKey",
        "ReserveCallersQuota",
        "MayThisCallerGenerate",
        "ReserveGenerationPlace",
        "IsThereRoomForThisRun",
        "GenerationBusy",
        *ANSWER_END,
    ]
    assert env.dispatcher.calls_to("GenerateImage") == []
    assert result.execution_arn not in table.read().waiters  # a refused run leaves the queue


def test_a_run_waits_for_a_slot_that_comes_back_in_time(env: LocalEnvironment):
    table = slot_table(env)
    table.try_acquire("arn:holder", capacity=1, lease_expiry=time.time() + 60)
    threading.Timer(2.0, table.release, args=("arn:holder",)).start()

    result = env.run({"prompt": BENIGN})

    assert result.http_status == 200
    assert "WaitForGenerationSlot" in result.states
    assert result.state("GenerateImage")
    assert table.read().leases == {} and table.read().waiters == {}


@pytest.mark.parametrize(
    ("service", "kind", "expected_status"),
    [("sagemaker", "error", 502), ("sagemaker", "throttle", 503), ("rekognition", "error", 502)],
    ids=["model-error", "endpoint-busy", "moderation-failure"],
)
def test_every_failure_path_gives_the_slot_back(env: LocalEnvironment, service, kind, expected_status):
    inject_fault(env.standins_url, service, kind, count=100)
    result = env.run({"prompt": BENIGN})

    assert result.http_status == expected_status
    assert any(name.startswith("ReleaseGenerationSlot") for name in result.states)
    assert slot_table(env).read().leases == {}


def test_a_timed_out_generation_gives_the_slot_back(env: LocalEnvironment):
    env.dispatcher.set_function_timeout("GenerateImage", 5)
    inject_fault(env.standins_url, "sagemaker", "slow", delay_seconds=4)
    answered = endpoint_answers(env)
    result = env.run({"prompt": BENIGN})

    assert result.http_status == 504
    assert "ReleaseGenerationSlotAfterGenerationError" in result.states
    assert slot_table(env).read().leases == {}
    wait_for_endpoint_answers(env, answered + 1)


def test_a_failed_admission_releases_whatever_it_took_and_answers_502(env: LocalEnvironment):
    env.configure("AcquireGenerationSlot", SLOTS_TABLE="text2image-table-that-does-not-exist")
    result = env.run({"prompt": BENIGN})

    assert result.http_status == 502
    assert result.states[-6:] == [
        "ReleaseGenerationSlotAfterAdmissionError",
        "GenerationFailed",
        *FAILURE_END,
    ]
    assert env.dispatcher.calls_to("GenerateImage") == []


def test_waiters_of_runs_that_ended_without_leaving_are_forgotten(env: LocalEnvironment):
    table = slot_table(env)
    table.wait("arn:timed-out-long-ago", time.time() - 600)

    result = env.run({"prompt": BENIGN})

    assert result.http_status == 200  # the stale waiter was not counted ahead of it
    assert table.read().waiters == {}


def test_a_pool_item_deleted_under_warm_functions_is_made_again(env: LocalEnvironment):
    assert env.run({"prompt": BENIGN}).http_status == 200  # the functions are warm
    env.dynamodb.delete_item(TableName=TABLE_NAMES["SLOTS_TABLE"], Key={"pool": {"S": ENDPOINT_NAME}})

    result = env.run({"prompt": BENIGN})

    assert result.http_status == 200
    assert slot_table(env).read().leases == {}
