"""A run told it may wait is not refused because the estimate moved, and only a job's
run ever hands over: DynamoDB on moto, the real ASL and handlers."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.conftest import ANSWER_END
from text2image.adapters.dynamodb import SlotTable
from text2image.domain.jobs import JOB_RUNS, execution_name, new_job_id
from workflow.local.environment import ENDPOINT_NAME, TABLE_NAMES, LocalEnvironment

BENIGN = "a jaguar in the Amazon rainforest"
HOLDER = "arn:test:holder"


def held_slot(env: LocalEnvironment) -> SlotTable:
    """The only slot, just taken by another run (its lease is the default 60 s)."""
    table = SlotTable(env.dynamodb, TABLE_NAMES["SLOTS_TABLE"], ENDPOINT_NAME)
    table.ensure_pool()
    assert table.try_acquire(HOLDER, 1, time.time() + 60)
    return table


def acquires(env: LocalEnvironment, execution_arn: str) -> list[Any]:
    return [
        call
        for call in env.dispatcher.calls_to("AcquireGenerationSlot")
        if call.event.get("execution_id") == execution_arn and call.event.get("mode") == "acquire"
    ]


def test_a_queued_sync_run_keeps_waiting_when_its_estimate_moves_and_gets_its_turn(env: LocalEnvironment):
    table = held_slot(env)
    # On arrival: the slot is free in 8 s, then its own 8 s: (8 + 8) x 1.25 + 1 + 4 = 25 <= 28, queued.
    arn = env.start_execution({"prompt": BENIGN})
    deadline = time.monotonic() + 20
    while not acquires(env, arn):
        assert time.monotonic() < deadline, "the run never asked for its slot"
        time.sleep(0.05)
    # Then the estimate moves: three runs turn out to be ahead of it (8 + 3 x 8 s of wait, no
    # longer in its 28 s). It used to be refused here, after waiting. It keeps waiting while
    # a generation still fits, and the slot comes back in time.
    its_place = table.read().waiters[arn]
    for index in range(3):
        table.wait(f"arn:test:ahead-{index}", its_place - 3 + index)
    time.sleep(2)
    table.release(HOLDER)
    result = env.wait(arn)
    for index in range(3):
        table.leave(f"arn:test:ahead-{index}")

    assert result.http_status == 200
    positions = [
        record.output["admission"]["position"]
        for record in result.history
        if record.name == "AcquireGenerationSlot" and record.output
    ]
    assert max(positions) == 4  # it was told it was fourth, and waited anyway
    assert table.read().leases == {}


def test_the_sync_machine_never_hands_over_it_refuses_once_no_generation_fits(env: LocalEnvironment):
    env.configure(
        "AcquireGenerationSlot",
        RUN_BUDGET_SECONDS="10",
        EXPECTED_GENERATION_SECONDS="2",
        AFTER_GENERATION_SECONDS="1",
    )
    table = held_slot(env)

    result = env.run({"prompt": BENIGN})

    assert result.http_status == 503 and result.body["retry_after"] >= 1
    assert "WaitForGenerationSlot" in result.states  # it was queued and waited...
    # ...then refused, and ended as every answer does.
    assert result.states[-6:] == ["IsGenerationSlotAcquired", "GenerationBusy", *ANSWER_END]
    assert "HandOverToNextRun" not in result.states
    assert table.read().waiters == {}


def test_past_the_last_moment_to_generate_only_a_job_with_a_run_left_is_told_to_hand_over(
    env: LocalEnvironment,
):
    """AcquireGenerationSlot itself, asked by a sync run and by each run of a job when no
    generation fits any more: requeue for a job's run with a run left, busy otherwise."""
    held_slot(env)
    job_id = new_job_id(None)
    names = {
        "sync": "0b6e8f2a-7d11-4c7e-9d0e-3f1a2b3c4d5e",
        "job run 1": execution_name(job_id),
        f"job run {JOB_RUNS}": execution_name(job_id, JOB_RUNS),
    }
    # Started 27 s ago: the sync budget (28 s) has no room for a generation, and neither
    # has a job's (its default 300 s budget is shortened to 28 s here).
    env.configure("AcquireGenerationSlot", JOB_RUN_BUDGET_SECONDS="28")
    started = (datetime.now(UTC) - timedelta(seconds=27)).isoformat()
    decisions = {}
    for who, name in names.items():
        event = {"mode": "acquire", "execution_id": f"arn:test:{name}", "execution_name": name}
        payload, error = env.dispatcher.invoke(
            "AcquireGenerationSlot", json.dumps(event | {"execution_started": started})
        )
        assert error is None, payload
        decisions[who] = json.loads(payload)["decision"]

    assert decisions == {"sync": "busy", "job run 1": "requeue", f"job run {JOB_RUNS}": "busy"}
