"""A job whose turn does not come within one execution hands over to its next run,
which keeps its place in the queue: through the local API, moto and the real handlers,
with a small run budget so a hand-over comes within seconds."""

from __future__ import annotations

import time
from typing import Any

import pytest
from werkzeug.test import Client

from tests.conftest import ANSWER_END, endpoint_answers
from tests.jobs.test_jobs import BENIGN, poll_until_done, submit
from text2image.adapters.dynamodb import SlotTable
from text2image.adapters.jobs import QUEUE_ITEM, JobTable
from text2image.domain.jobs import JOB_RUNS, execution_name
from workflow.local.api import LocalApi
from workflow.local.backend import LocalBackend
from workflow.local.environment import ENDPOINT_NAME, TABLE_NAMES, LocalEnvironment

ANOTHER_RUN = "arn:test:another-run"
# The first in line, another job that came earlier (its place is kept for a job's life).
EARLIER_JOB = execution_name("00000000-0000-4000-8000-00000000e001")
# Each run may wait about 12 - 2 - 1 - 1 = 8 s before it hands over.
SMALL_BUDGET = {
    "JOB_RUN_BUDGET_SECONDS": "12",
    "EXPECTED_GENERATION_SECONDS": "2",
    "AFTER_GENERATION_SECONDS": "1",
}


@pytest.fixture
def api(env: LocalEnvironment) -> Client:
    return Client(LocalApi(LocalBackend(env)))


@pytest.fixture
def slots(env: LocalEnvironment) -> SlotTable:
    env.configure("AcquireGenerationSlot", **SMALL_BUDGET)
    table = SlotTable(env.dynamodb, TABLE_NAMES["SLOTS_TABLE"], ENDPOINT_NAME)
    table.ensure_pool()
    # Another run has just taken the only slot; it keeps it until the test releases it.
    assert table.try_acquire(ANOTHER_RUN, 1, time.time() + 60)
    return table


def jobs_table(env: LocalEnvironment) -> JobTable:
    return JobTable(env.dynamodb, TABLE_NAMES["JOBS_TABLE"])


def acquires_of(env: LocalEnvironment, name: str) -> list[dict[str, Any]]:
    return [
        call.event
        for call in env.dispatcher.calls_to("AcquireGenerationSlot")
        if call.event.get("execution_name") == name and call.event.get("mode") == "acquire"
    ]


def wait_for(condition: Any, what: str, timeout: float = 40.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


def follow(api: Client, url: str, views: list[dict[str, Any]], until: Any, what: str) -> None:
    """Poll the job as a page would, recording every view, until `until()` holds."""
    deadline = time.monotonic() + 40
    while not until():
        assert time.monotonic() < deadline, what
        views.append(api.get(url).json)
        time.sleep(0.1)


def executions_of(env: LocalEnvironment, job_id: str) -> list[str]:
    names = {execution_name(job_id, run) for run in range(1, JOB_RUNS + 2)}
    return sorted(run["name"] for run in env.list_executions(1000) if run["name"] in names)


def test_a_job_whose_turn_comes_in_its_second_run_is_approved_once_and_its_position_only_goes_down(
    api, env, slots
):
    slots.wait(EARLIER_JOB, time.time() - 1)
    response = submit(api, {"prompt": BENIGN})
    job_id, url = response.json["job_id"], response.json["status_url"]
    first, second = execution_name(job_id), execution_name(job_id, 2)
    views: list[dict[str, Any]] = []

    follow(api, url, views, lambda: acquires_of(env, first), "the job never asked for its slot")
    views.append(api.get(url).json)  # queued second, until its next poll
    waiting_from = len(views)
    slots.leave(EARLIER_JOB)  # the job ahead gave up: one place up
    # The first run cannot get the slot in its budget: it hands over, the second run waits.
    follow(api, url, views, lambda: acquires_of(env, second), "the job never handed over")
    assert api.get(url).json["status"] == "RUNNING"
    slots.release(ANOTHER_RUN)
    final, rest = poll_until_done(api, url)
    views += rest

    assert final["http_status"] == 200 and final["result"]["status"] == "APPROVED"
    assert final["result"]["execution_id"].endswith(second)
    # One image, drawn by the second run; each run started once.
    [generation] = env.dispatcher.calls_to("GenerateImage")
    assert generation.event["execution_id"].endswith(second)
    assert endpoint_answers(env) == 1
    assert executions_of(env, job_id) == sorted([first, second])
    assert env.describe(env.execution_arn(first)).states[-6:] == [
        "IsGenerationSlotAcquired",
        "HandOverToNextRun",
        *ANSWER_END,
    ]
    assert jobs_table(env).get(job_id)["runs"] == 2
    # The execution inspector shows the first run as handed over, not as a failure.
    handed_over = LocalBackend(env).execution(first)
    assert (handed_over.outcome, handed_over.http_status) == ("HANDED_OVER", None)
    # The poller saw it queued second, then first, never higher, and never back to
    # checking the prompt while the second run checked it again.
    positions = [view["position"] for view in views if "position" in view]
    assert positions[0] == 2 and positions[-1] == 1
    assert positions == sorted(positions, reverse=True)
    assert views[waiting_from - 1]["stage"] == "queued"
    assert "checking_prompt" not in [view["stage"] for view in views[waiting_from:]]
    # Nothing held, nothing waiting, nothing staged, and the job left the bounded queue.
    assert slots.read().leases == {} and slots.read().waiters == {}
    assert env.keys("staging/") == []
    assert job_id not in (jobs_table(env).get(QUEUE_ITEM) or {}).get("jobs", {})


def test_a_duplicate_run_job_delivery_during_and_after_a_hand_over_starts_no_other_run(api, env, slots):
    response = submit(api, {"prompt": BENIGN})
    job_id, url = response.json["job_id"], response.json["status_url"]
    wait_for(lambda: acquires_of(env, execution_name(job_id, 2)), "the job never handed over")

    # Lambda's asynchronous invocation is at least once: RunJob again while the second run waits.
    payload, error = env.dispatcher.invoke("RunJob", f'{{"job_id": "{job_id}"}}')
    assert error is None and b'"ran": false' in payload
    # And the second run cannot be claimed a second time, nor a third out of turn.
    assert not jobs_table(env).claim_run(job_id, 2)
    slots.release(ANOTHER_RUN)
    final, _ = poll_until_done(api, url)
    payload, error = env.dispatcher.invoke("RunJob", f'{{"job_id": "{job_id}"}}')
    assert error is None and b'"ran": false' in payload

    assert final["http_status"] == 200
    assert endpoint_answers(env) == 1
    assert executions_of(env, job_id) == sorted([execution_name(job_id), execution_name(job_id, 2)])
    assert not jobs_table(env).claim_run(job_id, 3)  # done: no run after the answer


def test_a_job_out_of_runs_ends_503_busy_with_retry_after_and_leaves_nothing_behind(api, env, slots):
    env.configure("AcquireGenerationSlot", **(SMALL_BUDGET | {"JOB_RUN_BUDGET_SECONDS": "8"}))
    response = submit(api, {"prompt": BENIGN})
    job_id = response.json["job_id"]
    final, _ = poll_until_done(api, response.json["status_url"])

    assert final["http_status"] == 503
    assert final["result"]["error"] == "Busy" and final["result"]["retry_after"] >= 1
    names = [execution_name(job_id, run) for run in range(1, JOB_RUNS + 1)]
    assert executions_of(env, job_id) == sorted(names)
    assert env.describe(env.execution_arn(names[-1])).states[-5:] == ["GenerationBusy", *ANSWER_END]
    assert env.dispatcher.calls_to("GenerateImage") == []
    # It left the queue (only the other run's lease is left) and the bounded queue.
    assert slots.read().waiters == {} and set(slots.read().leases) == {ANOTHER_RUN}
    assert job_id not in (jobs_table(env).get(QUEUE_ITEM) or {}).get("jobs", {})
