"""The admission's capacity follows the endpoint's instances in service: the real
RefreshGenerationCapacity handler reads the SDXL stand-in's DescribeEndpoint and writes
the semaphore's item on moto, as the schedule runs it in the cloud."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from text2image.adapters.dynamodb import SlotTable
from workflow.local.environment import ENDPOINT_NAME, TABLE_NAMES, LocalEnvironment

DEPLOYED_CAPACITY = 1  # GENERATION_CAPACITY, the local default


@pytest.fixture
def fleet_env(env: LocalEnvironment) -> Iterator[LocalEnvironment]:
    yield env
    env.scale_fleet(1)


def slots(env: LocalEnvironment) -> SlotTable:
    return SlotTable(env.dynamodb, TABLE_NAMES["SLOTS_TABLE"], ENDPOINT_NAME)


def take(table: SlotTable, holder: str) -> bool:
    return table.try_acquire(holder, DEPLOYED_CAPACITY, lease_expiry=time.time() + 60)


def test_instances_added_to_the_endpoint_are_counted_at_the_next_refresh(fleet_env: LocalEnvironment):
    table = slots(fleet_env)
    fleet_env.scale_fleet(3)
    refreshed = fleet_env.refresh_capacity()
    assert (refreshed["instances_in_service"], refreshed["capacity"]) == (3, 3)
    assert [take(table, f"run-{n}") for n in range(4)] == [True, True, True, False]


def test_after_a_scale_in_running_generations_finish_and_no_slot_is_granted_above_the_new_capacity(
    fleet_env: LocalEnvironment,
):
    table = slots(fleet_env)
    fleet_env.scale_fleet(3)
    fleet_env.refresh_capacity()
    assert all(take(table, f"run-{n}") for n in range(3))
    fleet_env.scale_fleet(1)
    assert fleet_env.refresh_capacity()["capacity"] == 1
    assert set(table.read().leases) == {"run-0", "run-1", "run-2"}  # nobody loses a slot
    assert not take(table, "newcomer")
    table.release("run-0")
    assert not take(table, "newcomer")  # two still hold slots, one is the new capacity
    table.release("run-1")
    assert not take(table, "newcomer")
    table.release("run-2")
    assert take(table, "newcomer")


def test_the_backlog_per_instance_counts_generating_and_waiting_runs(fleet_env: LocalEnvironment):
    table = slots(fleet_env)
    fleet_env.scale_fleet(2)
    fleet_env.refresh_capacity()
    assert take(table, "generating")
    for n in range(5):
        table.wait(f"waiting-{n}", time.time())
    refreshed = fleet_env.refresh_capacity()
    assert refreshed["backlog"] == 6
    assert refreshed["backlog_per_instance"] == 3.0


def test_with_no_instance_in_service_one_run_still_reaches_the_endpoint_to_be_told_it_is_starting(
    fleet_env: LocalEnvironment,
):
    fleet_env.scale_fleet(0)
    refreshed = fleet_env.refresh_capacity()
    assert (refreshed["instances_in_service"], refreshed["capacity"]) == (0, 1)
