"""The capacity follows the fleet, and the backlog per instance scales it (domain.capacity)."""

from text2image.domain.admission import SlotPool, expected_wait, slot_free_times
from text2image.domain.capacity import (
    BacklogScaling,
    backlog,
    backlog_per_instance,
    has_backlog_without_capacity,
    live_capacity,
)

NOW = 1000.0


def test_the_capacity_is_the_instances_in_service_times_what_each_serves():
    assert live_capacity(instances_in_service=3, generations_per_instance=1) == 3
    assert live_capacity(instances_in_service=2, generations_per_instance=2) == 4


def test_with_no_instance_in_service_one_instances_worth_is_admitted_so_the_endpoint_answers_starting():
    # The run reaches GenerateImage, the endpoint refuses for lack of capacity (503
    # EndpointStarting) and its NoCapacityInvocationFailures starts the first instance.
    assert live_capacity(instances_in_service=0, generations_per_instance=1) == 1


def test_the_backlog_counts_the_runs_generating_as_well_as_those_waiting():
    # A fully busy endpoint with an empty queue must not look idle to the scaling policy.
    assert backlog(generating=2, waiting=0) == 2
    assert backlog_per_instance(backlog(generating=2, waiting=4), instances_in_service=2) == 3.0


def test_a_backlog_with_no_instance_is_the_signal_that_starts_the_first_one():
    assert backlog_per_instance(5, instances_in_service=0) == 5.0
    assert has_backlog_without_capacity(5, instances_in_service=0) == 1
    assert has_backlog_without_capacity(5, instances_in_service=1) == 0
    assert has_backlog_without_capacity(0, instances_in_service=0) == 0


def test_target_tracking_asks_for_the_instances_that_bring_the_backlog_to_its_target_within_bounds():
    policy = BacklogScaling(target_backlog_per_instance=3)
    assert policy.desired_instances(current=1, backlog=12, min_instances=1, max_instances=8) == 4
    assert policy.desired_instances(current=1, backlog=40, min_instances=1, max_instances=8) == 8
    assert policy.desired_instances(current=4, backlog=3, min_instances=1, max_instances=8) == 1
    assert policy.desired_instances(current=0, backlog=1, min_instances=0, max_instances=8) == 1
    assert policy.desired_instances(current=2, backlog=0, min_instances=0, max_instances=8) == 0


def test_after_a_scale_in_the_pools_live_capacity_replaces_the_deployed_one():
    assert SlotPool(leases={}, waiters={}, latency_seconds=0).capacity(deployed=1) == 1
    assert SlotPool(leases={}, waiters={}, latency_seconds=0, live_capacity=3).capacity(deployed=1) == 3


def test_after_a_scale_in_the_next_slot_comes_only_when_the_holders_are_below_the_new_capacity():
    # Three runs hold slots (done in 2, 4 and 6 s); the capacity dropped to one: the next
    # run's slot comes when all three have finished, not when the first has.
    leases = {"a": NOW + 56, "b": NOW + 58, "c": NOW + 60}
    free = slot_free_times(leases, capacity=1, lease_seconds=60, latency_seconds=6, now=NOW)
    assert free == [NOW + 6]
    assert expected_wait(1, free, latency_seconds=6, now=NOW) == 6
    free = slot_free_times(leases, capacity=2, lease_seconds=60, latency_seconds=6, now=NOW)
    assert free == [NOW + 4, NOW + 6]
