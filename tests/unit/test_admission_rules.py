from text2image.domain.admission import SlotPool, decide_when_full, expected_wait, recent_latency


def test_the_expected_wait_counts_whole_rounds_of_the_capacity():
    assert expected_wait(1, capacity=1, latency_seconds=6) == 6
    assert expected_wait(3, capacity=1, latency_seconds=6) == 18
    assert expected_wait(3, capacity=2, latency_seconds=6) == 12


def test_a_run_waits_when_its_turn_and_its_work_fit_before_its_deadline():
    admission = decide_when_full(
        position=2, capacity=1, latency_seconds=6, now=100, run_deadline=128, after_generation_seconds=4
    )
    assert admission.decision == "wait"  # 12 s wait + 6 s generation + 4 s after = 122 <= 128


def test_a_run_whose_turn_cannot_come_in_time_is_refused_at_once_with_retry_after():
    admission = decide_when_full(
        position=4, capacity=1, latency_seconds=6, now=100, run_deadline=128, after_generation_seconds=4
    )
    assert (admission.decision, admission.retry_after) == ("busy", 24)


def test_the_queue_position_counts_only_earlier_live_waiters():
    pool = SlotPool(
        leases={}, waiters={"a": 10.0, "b": 11.0, "me": 12.0, "c": 13.0, "stale": 1.0}, latency_seconds=6
    )
    assert pool.queue_ahead("me", 12.0, stale_before=5.0) == 2


def test_expired_leases_are_told_apart_from_live_ones():
    pool = SlotPool(leases={"dead": 99.0, "live": 101.0}, waiters={}, latency_seconds=0)
    assert pool.expired(now=100.0) == {"dead": 99.0}
    assert pool.holds("live", 100.0) and not pool.holds("dead", 100.0)


def test_recent_latency_leans_towards_the_last_generation():
    assert recent_latency(None, 6.0) == 6.0
    assert 6.0 < recent_latency(6.0, 10.0) < 10.0
