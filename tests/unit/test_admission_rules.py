from text2image.domain.admission import SlotPool, decide, expected_wait, recent_latency, slot_free_times

NOW = 1000.0


def test_a_slot_is_expected_free_when_its_holder_has_had_its_generation_time():
    # Lease 60 s: a lease expiring at NOW + 57 was taken 3 s ago and needs 3 s more at 6 s a generation.
    leases = {"busy": NOW + 57, "overdue": NOW + 10, "dead": NOW - 1}
    assert slot_free_times(leases, capacity=3, lease_seconds=60, latency_seconds=6, now=NOW) == [
        NOW,  # the dead holder's slot
        NOW,  # overdue: expected any moment
        NOW + 3,
    ]


def test_the_expected_wait_counts_rounds_of_the_slots_after_their_holders():
    free = [NOW + 2]  # one slot, its holder done in 2 s
    assert expected_wait(1, free, latency_seconds=6, now=NOW) == 2
    assert expected_wait(3, free, latency_seconds=6, now=NOW) == 14
    assert expected_wait(3, [NOW, NOW + 2], latency_seconds=6, now=NOW) == 6


def _decide(position: int, deadline: float = NOW + 28):
    return decide(
        position=position,
        free_times=[NOW + 2],
        latency_seconds=6,
        now=NOW,
        run_deadline=deadline,
        after_generation_seconds=4,
        admitted="queued",
    )


def test_a_run_is_admitted_when_its_turn_and_its_work_fit_before_its_deadline():
    assert _decide(position=3).decision == "queued"  # 14 s wait + 6 s generation + 4 s after = 24 <= 28


def test_a_run_whose_turn_cannot_come_in_time_is_refused_with_retry_after():
    admission = _decide(position=4)  # 20 + 6 + 4 = 30 > 28
    assert (admission.decision, admission.retry_after) == ("busy", 20)


def test_the_queue_position_counts_only_earlier_live_waiters():
    waiters = {"a": 10.0, "b": 11.0, "me": 12.0, "c": 13.0, "stale": 1.0}
    pool = SlotPool(leases={}, waiters=waiters, latency_seconds=6)
    assert pool.queue_ahead("me", 12.0, stale_before=5.0) == 2


def test_the_queue_depth_counts_live_waiters_and_can_leave_one_out():
    pool = SlotPool(leases={}, waiters={"old": 1.0, "a": 50.0, "b": 51.0}, latency_seconds=6)
    assert pool.queue_depth(stale_before=10.0) == 2
    assert pool.queue_depth(stale_before=10.0, without="a") == 1
    assert pool.queue_depth(stale_before=50.0) == 1


def test_waiters_older_than_a_run_can_last_are_stale():
    pool = SlotPool(leases={}, waiters={"old": 1.0, "new": 50.0}, latency_seconds=6)
    assert pool.stale_waiters(stale_before=20.0) == {"old": 1.0}


def test_expired_leases_are_told_apart_from_live_ones():
    pool = SlotPool(leases={"dead": 99.0, "live": 101.0}, waiters={}, latency_seconds=0)
    assert pool.expired(now=100.0) == {"dead": 99.0}
    assert pool.holds("live", 100.0) and not pool.holds("dead", 100.0)


def test_recent_latency_leans_towards_the_last_generation():
    assert recent_latency(None, 6.0) == 6.0
    assert 6.0 < recent_latency(6.0, 10.0) < 10.0
