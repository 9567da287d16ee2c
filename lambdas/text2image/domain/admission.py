"""Admission to the GPU: who may generate now, who waits, and who is told to come back.

The endpoint serves `capacity` generations at once (the instances in service x
concurrent invocations per instance, refreshed as the fleet changes: see
`domain.capacity`). When it shrinks, runs holding a slot keep it until they
release it, and no slot is granted while as many are held as the new capacity.
A run holds a slot under a lease that expires, so a run that dies cannot keep
its slot. On arrival (`reserve`) a run joins the queue only if its expected
turn, with a margin, still leaves time to generate, moderate and store inside
its budget; otherwise it is refused at once (503 Busy with Retry-After) and no
GPU time is spent. Once told it may wait, a run is not refused because the
estimate moved: before generating (`acquire`) it keeps waiting while a
generation could still fit if its turn came now. A job's run that can no longer
fit one hands over to the job's next run, keeping its place in the queue. Pure
Python: times are epoch seconds passed in.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from text2image.domain.jobs import execution_name, job_of_execution

Decision = Literal["acquired", "queued", "wait", "requeue", "busy"]

# On arrival, the expected turn and generation are stretched by this much before
# they are compared with the deadline: the estimate moves (the recent latency
# changes, a waiter behind may poll first, a freed slot is noticed up to a poll
# late), and a run told it may wait should practically always get its turn.
ESTIMATE_SLACK = 0.25
# A waiter far back in the queue asks less often, up to this: every poll is a Lambda
# call and a read of the pool, and forty jobs asking every second cost more than the
# queue they wait in.
MAX_POLL_SECONDS = 10


def slot_holder(execution_id: str, execution_name_: str | None) -> str:
    """Who holds a lease or a place in the queue: a sync run is its execution; all the
    runs of one job are one holder, `job-<id>`, so its place survives a hand-over."""
    job_id = job_of_execution(execution_name_)
    return execution_name(job_id) if job_id else execution_id


@dataclass(frozen=True)
class WaiterLives:
    """How long a waiter can be waiting at most; after that its run must have ended
    (timed out or died) without leaving the queue."""

    run_seconds: float  # a sync run's budget
    job_seconds: float  # a job's whole life: all its runs

    def stale(self, holder: str, since: float, now: float) -> bool:
        life = self.job_seconds if job_of_execution(holder) else self.run_seconds
        return since <= now - life


@dataclass(frozen=True)
class SlotPool:
    """The semaphore item as read: live and expired leases, and the waiters."""

    leases: Mapping[str, float]  # holder -> lease expiry
    waiters: Mapping[str, float]  # holder -> when it started waiting
    latency_seconds: float  # recent generation latency
    # Generations the instances in service serve (domain.capacity), as last refreshed;
    # None until the first refresh.
    live_capacity: int | None = None

    def capacity(self, deployed: int) -> int:
        """The capacity that admits now: the live one once refreshed, the deployed one until then."""
        return deployed if self.live_capacity is None else self.live_capacity

    def generating(self, now: float) -> int:
        """Runs holding a live lease."""
        return sum(1 for expiry in self.leases.values() if expiry > now)

    def expired(self, now: float) -> dict[str, float]:
        return {holder: expiry for holder, expiry in self.leases.items() if expiry <= now}

    def holds(self, holder: str, now: float) -> bool:
        return self.leases.get(holder, 0) > now

    def stale_waiters(self, lives: WaiterLives, now: float) -> dict[str, float]:
        """Waiters whose run must have ended by now (timed out or died) without leaving."""
        return {holder: since for holder, since in self.waiters.items() if lives.stale(holder, since, now)}

    def live_waiters(self, lives: WaiterLives, now: float) -> dict[str, float]:
        return {
            holder: since for holder, since in self.waiters.items() if not lives.stale(holder, since, now)
        }

    def queue_depth(self, lives: WaiterLives, now: float, without: str = "") -> int:
        """Runs still waiting for a slot, leaving out `without`."""
        return sum(1 for other in self.live_waiters(lives, now) if other != without)

    def queue_ahead(self, holder: str, since: float, lives: WaiterLives, now: float) -> int:
        """Waiters that came before this one and are still waiting."""
        return sum(
            1
            for other, started in self.live_waiters(lives, now).items()
            if other != holder and (started, other) < (since, holder)
        )


@dataclass(frozen=True)
class Admission:
    decision: Decision
    position: int = 0  # 1 is next in line
    expected_wait_seconds: float = 0.0
    retry_after: int = 0
    poll_seconds: int = 0  # `wait`: how long to sleep before asking again


def slot_free_times(
    leases: Mapping[str, float], capacity: int, lease_seconds: float, latency_seconds: float, now: float
) -> list[float]:
    """When each slot is expected to be free, soonest first: a holder took its slot
    `lease_seconds` before its lease expires and needs `latency_seconds` in all. After a
    scale-in more may hold slots than the capacity: a slot is free only once fewer hold
    one than the capacity, so the first comes when all but `capacity - 1` have finished."""
    busy = sorted(
        max(now, expiry - lease_seconds + latency_seconds) for expiry in leases.values() if expiry > now
    )
    return sorted([now] * max(0, capacity - len(busy)) + busy)[-capacity:]


def expected_wait(position: int, free_times: list[float], latency_seconds: float, now: float) -> float:
    """Seconds until the `position`-th in line (1 is next) gets a slot."""
    rounds, index = divmod(position - 1, len(free_times))
    return max(0.0, free_times[index] + rounds * latency_seconds - now)


def hand_over_after(
    budget: float, latency_seconds: float, after_generation_seconds: float, poll: float
) -> float:
    """How far into a run of `budget` seconds it can still wait for its turn: a job's run
    hands over when a poll, a generation and what follows no longer fit."""
    return budget - latency_seconds - after_generation_seconds - poll


@dataclass(frozen=True)
class Turn:
    """What the admission knows of one run's turn at `now`."""

    position: int  # 1 is next in line
    free_times: list[float]  # when each slot is expected free, soonest first
    latency_seconds: float  # recent generation latency
    after_generation_seconds: float  # moderation and storage
    poll_seconds: float  # how often a waiting run asks again
    now: float

    @property
    def wait(self) -> float:
        return expected_wait(self.position, self.free_times, self.latency_seconds, self.now)

    def life_deadline(self, run_deadline: float, budget: float, runs_left: int = 0) -> float:
        """When the holder's last run must have finished: each run after this one starts
        when the one before hands over, a poll, a generation and its aftermath before its
        deadline, and has the same budget."""
        waits = hand_over_after(
            budget, self.latency_seconds, self.after_generation_seconds, self.poll_seconds
        )
        return run_deadline + runs_left * waits

    def busy(self) -> Admission:
        """Refused: come back when a slot is likely free."""
        return Admission("busy", self.position, self.wait, retry_after=max(1, math.ceil(self.wait)))


def decide_on_arrival(turn: Turn, deadline: float, already_admitted: bool = False) -> Admission:
    """`queued` if the expected turn and generation, stretched by ESTIMATE_SLACK, a poll
    and what follows the generation fit before `deadline` (a sync run's end, a job's
    last run's end); otherwise busy at once. A job's later run was admitted by its
    first and keeps its place whatever the estimate says now."""
    wait = turn.wait
    stretched = (1 + ESTIMATE_SLACK) * (wait + turn.latency_seconds)
    finish = turn.now + stretched + turn.poll_seconds + turn.after_generation_seconds
    if already_admitted or finish <= deadline:
        return Admission("queued", turn.position, wait)
    return turn.busy()


def decide_while_waiting(turn: Turn, run_deadline: float, can_hand_over: bool = False) -> Admission:
    """No slot yet: `wait` while a generation could still fit in this run if the slot
    came at the next poll; when it no longer can, `requeue` (a job with a run left
    keeps its place) or busy."""
    latest_start = run_deadline - turn.latency_seconds - turn.after_generation_seconds
    if turn.now + turn.poll_seconds <= latest_start:
        return Admission("wait", turn.position, turn.wait, poll_seconds=next_poll_seconds(turn, latest_start))
    if can_hand_over:
        return Admission("requeue", turn.position, turn.wait)
    return turn.busy()


def next_poll_seconds(turn: Turn, latest_start: float) -> int:
    """How long a waiting run sleeps before it asks again: the configured poll while its
    turn may come within one generation; while it is further back, half the time until
    then (at most MAX_POLL_SECONDS); and never so long that it wakes after the last
    moment a generation still fits, so the hand-over or refusal is decided in time."""
    poll = math.ceil(turn.poll_seconds)
    until_nearly_first = (turn.wait - turn.latency_seconds) / 2
    until_too_late = latest_start - turn.now - turn.poll_seconds
    return max(poll, math.floor(min(until_nearly_first, MAX_POLL_SECONDS, until_too_late)))


def job_queue_depth(
    capacity: int,
    runs: int,
    budget: float,
    latency_seconds: float,
    after_generation_seconds: float,
    poll: float,
) -> int:
    """How many jobs can be in flight and all be admitted on arrival (`decide_on_arrival`).
    A job's life is its first run's budget and, for each later run, what the run before
    could wait (`hand_over_after`). With every slot just taken, the n-th in line waits
    ceil(n / c) generations, so it is admitted while
    (1 + slack) (ceil(n / c) + 1) L + poll + after <= life."""
    life = budget + (runs - 1) * hand_over_after(budget, latency_seconds, after_generation_seconds, poll)
    generations = (life - poll - after_generation_seconds) / ((1 + ESTIMATE_SLACK) * latency_seconds)
    return max(1, capacity * (math.floor(generations) - 1))


def recent_latency(previous_seconds: float | None, observed_seconds: float, weight: float = 0.3) -> float:
    """An exponentially weighted average: recent generations count most."""
    if previous_seconds is None:
        return observed_seconds
    return (1 - weight) * previous_seconds + weight * observed_seconds
