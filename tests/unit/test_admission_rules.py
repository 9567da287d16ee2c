from text2image.domain.admission import (
    MAX_POLL_SECONDS,
    SlotPool,
    Turn,
    WaiterLives,
    decide_on_arrival,
    decide_while_waiting,
    expected_wait,
    job_queue_depth,
    recent_latency,
    slot_free_times,
    slot_holder,
)
from text2image.domain.jobs import execution_name, new_job_id

NOW = 1000.0
LIVES = WaiterLives(run_seconds=28, job_seconds=600)


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


def turn(position: int, now: float = NOW, free: float = NOW + 2, latency: float = 6) -> Turn:
    """One slot, its holder done at `free`; 6 s a generation, 4 s after it, a 1 s poll."""
    return Turn(
        position=position,
        free_times=[free],
        latency_seconds=latency,
        after_generation_seconds=4,
        poll_seconds=1,
        now=now,
    )


# --- on arrival (ReserveGenerationPlace) ------------------------------------------


def test_a_run_is_admitted_when_its_stretched_turn_and_its_work_fit_before_its_deadline():
    # 8 s wait + 6 s generation, a quarter more: 17.5 s; + 1 s poll + 4 s after = 22.5 <= 28.
    assert decide_on_arrival(turn(position=2), deadline=NOW + 28).decision == "queued"


def test_a_run_that_would_fit_only_if_the_estimate_were_exact_is_refused_on_arrival():
    # 14 s wait + 6 + 4 = 24 <= 28 exactly estimated, but (14 + 6) x 1.25 + 1 + 4 = 30 > 28:
    # such a run used to be queued and then refused after waiting. Now it is told at once.
    admission = decide_on_arrival(turn(position=3), deadline=NOW + 28)
    assert (admission.decision, admission.retry_after) == ("busy", 14)


def test_the_arrival_margin_boundary_is_inclusive():
    # Position 2: (8 + 6) x 1.25 + 1 + 4 = 22.5 s.
    assert decide_on_arrival(turn(position=2), deadline=NOW + 22.5).decision == "queued"
    assert decide_on_arrival(turn(position=2), deadline=NOW + 22.4).decision == "busy"


def test_a_job_is_admitted_on_arrival_against_its_whole_life_not_its_first_run():
    # 40th in line: 2 + 39 x 6 = 236 s wait; (236 + 6) x 1.25 + 5 = 307.5 s > one run of 300 s.
    job = turn(position=40)
    assert decide_on_arrival(job, deadline=job.life_deadline(NOW + 300, 300, runs_left=0)).decision == "busy"
    # With a second run: it starts when the first hands over (300 - 6 - 4 - 1 = 289 s in).
    life = job.life_deadline(NOW + 300, 300, runs_left=1)
    assert life == NOW + 589
    assert decide_on_arrival(job, deadline=life).decision == "queued"


def test_a_job_beyond_its_whole_life_is_refused_at_once_with_retry_after():
    job = turn(position=90)  # 2 + 89 x 6 = 536 s wait
    admission = decide_on_arrival(job, deadline=job.life_deadline(NOW + 300, 300, runs_left=1))
    assert (admission.decision, admission.retry_after) == ("busy", 536)


def test_a_jobs_later_run_keeps_the_place_its_first_run_was_given():
    admission = decide_on_arrival(turn(position=90), deadline=NOW + 300, already_admitted=True)
    assert (admission.decision, admission.position) == ("queued", 90)


# --- while waiting (AcquireGenerationSlot) ----------------------------------------


def test_a_waiting_run_keeps_waiting_while_a_generation_still_fits_whatever_its_position():
    # Deadline NOW + 28: a generation must start by NOW + 18; the next poll at NOW + 18 still can.
    for position in (1, 5, 30):
        assert decide_while_waiting(turn(position, now=NOW + 17), run_deadline=NOW + 28).decision == "wait"


def test_a_waiter_far_back_polls_less_often_but_never_past_the_last_moment_a_generation_fits():
    # One slot free at NOW + 2, 6 s a generation: the 1st and 2nd in line poll every second.
    assert decide_while_waiting(turn(1), run_deadline=NOW + 300).poll_seconds == 1
    assert decide_while_waiting(turn(2), run_deadline=NOW + 300).poll_seconds == 1
    # The 4th expects its turn in 20 s: it sleeps half the 14 s until one generation before it.
    assert decide_while_waiting(turn(4), run_deadline=NOW + 300).poll_seconds == 7
    # The 30th: at most MAX_POLL_SECONDS.
    assert decide_while_waiting(turn(30), run_deadline=NOW + 300).poll_seconds == MAX_POLL_SECONDS
    # Near the end of its run (a generation must start by NOW + 290): it wakes in time to hand over.
    late = decide_while_waiting(
        turn(30, now=NOW + 285, free=NOW + 285), run_deadline=NOW + 300, can_hand_over=True
    )
    assert (late.decision, late.poll_seconds) == ("wait", 4)
    # A later wake would have missed it: at NOW + 289 the run may still wait one last poll.
    last = decide_while_waiting(turn(30, now=NOW + 289, free=NOW + 289), run_deadline=NOW + 300)
    assert (last.decision, last.poll_seconds) == ("wait", 1)


def test_a_sync_run_is_refused_only_once_no_generation_can_fit():
    admission = decide_while_waiting(turn(position=2, now=NOW + 17.5), run_deadline=NOW + 28)
    assert admission.decision == "busy"
    assert admission.retry_after >= 1


def test_a_jobs_run_with_a_run_left_hands_over_instead_of_refusing():
    waiting = turn(position=12, now=NOW + 17)
    assert decide_while_waiting(waiting, run_deadline=NOW + 28, can_hand_over=True).decision == "wait"
    late = turn(position=12, now=NOW + 17.5, free=NOW + 20)
    requeue = decide_while_waiting(late, run_deadline=NOW + 28, can_hand_over=True)
    assert (requeue.decision, requeue.position, requeue.retry_after) == ("requeue", 12, 0)
    # Out of runs: refused, with when to come back.
    busy = decide_while_waiting(late, run_deadline=NOW + 28, can_hand_over=False)
    assert (busy.decision, busy.retry_after) == ("busy", 69)  # free at NOW + 20, then 11 more x 6 s


# --- holders and the queue ------------------------------------------------------------


def test_all_runs_of_a_job_are_one_holder_and_a_sync_run_is_its_execution():
    job_id = new_job_id(None)
    first = slot_holder("arn:sfn:exec:job-1", execution_name(job_id))
    second = slot_holder("arn:sfn:exec:job-2", execution_name(job_id, 2))
    assert first == second == execution_name(job_id)
    assert slot_holder("arn:sfn:exec:sync", "some-sync-run") == "arn:sfn:exec:sync"
    assert slot_holder("arn:sfn:exec:sync", None) == "arn:sfn:exec:sync"


def test_a_jobs_place_is_kept_for_its_whole_life_and_a_sync_runs_for_its_budget():
    job = execution_name(new_job_id(None))
    pool = SlotPool(leases={}, waiters={"arn:sync": NOW - 30, job: NOW - 500}, latency_seconds=6)
    assert pool.stale_waiters(LIVES, NOW) == {"arn:sync": NOW - 30}
    assert pool.stale_waiters(LIVES, NOW + 100) == {"arn:sync": NOW - 30, job: NOW - 500}


def test_the_queue_position_counts_only_earlier_live_waiters():
    waiters = {"a": NOW - 10, "b": NOW - 9, "me": NOW - 8, "c": NOW - 7, "stale": NOW - 100}
    pool = SlotPool(leases={}, waiters=waiters, latency_seconds=6)
    assert pool.queue_ahead("me", NOW - 8, LIVES, NOW) == 2


def test_the_queue_depth_counts_live_waiters_and_can_leave_one_out():
    pool = SlotPool(leases={}, waiters={"old": NOW - 50, "a": NOW - 2, "b": NOW - 1}, latency_seconds=6)
    assert pool.queue_depth(LIVES, NOW) == 2
    assert pool.queue_depth(LIVES, NOW, without="a") == 1


def test_expired_leases_are_told_apart_from_live_ones():
    pool = SlotPool(leases={"dead": 99.0, "live": 101.0}, waiters={}, latency_seconds=0)
    assert pool.expired(now=100.0) == {"dead": 99.0}
    assert pool.holds("live", 100.0) and not pool.holds("dead", 100.0)


def test_the_job_queue_depth_is_the_last_place_the_arrival_rule_admits():
    for capacity in (1, 2, 3):
        depth = job_queue_depth(
            capacity, runs=2, budget=300, latency_seconds=8, after_generation_seconds=4, poll=1
        )

        def admitted(position: int, capacity: int = capacity) -> bool:
            # Every slot has just been taken.
            arriving = Turn(position, [NOW + 8] * capacity, 8, 4, 1, NOW)
            life = arriving.life_deadline(NOW + 300, 300, runs_left=1)
            return decide_on_arrival(arriving, deadline=life).decision == "queued"

        assert admitted(depth) and not admitted(depth + 1), capacity
    assert job_queue_depth(1, runs=2, budget=300, latency_seconds=8, after_generation_seconds=4, poll=1) == 57


def test_recent_latency_leans_towards_the_last_generation():
    assert recent_latency(None, 6.0) == 6.0
    assert 6.0 < recent_latency(6.0, 10.0) < 10.0
