"""Admission to the GPU: who may generate now, who waits, and who is told to come back.

The endpoint serves `capacity` generations at once (instances x concurrent
invocations per instance). A run holds a slot under a lease that expires, so a
run that dies cannot keep its slot. A run that finds no free slot waits only
if its expected turn still leaves time to generate, moderate and store inside
its budget; otherwise it is refused at once (503 Busy with Retry-After) and no
GPU time is spent. Pure Python: times are epoch seconds passed in.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

Decision = Literal["acquired", "queued", "wait", "busy"]


@dataclass(frozen=True)
class SlotPool:
    """The semaphore item as read: live and expired leases, and the waiters."""

    leases: Mapping[str, float]  # holder -> lease expiry
    waiters: Mapping[str, float]  # holder -> when it started waiting
    latency_seconds: float  # recent generation latency

    def expired(self, now: float) -> dict[str, float]:
        return {holder: expiry for holder, expiry in self.leases.items() if expiry <= now}

    def holds(self, holder: str, now: float) -> bool:
        return self.leases.get(holder, 0) > now

    def stale_waiters(self, stale_before: float) -> dict[str, float]:
        """Waiters whose run must have ended by now (timed out or died) without leaving."""
        return {holder: since for holder, since in self.waiters.items() if since <= stale_before}

    def queue_depth(self, stale_before: float, without: str = "") -> int:
        """Runs still waiting for a slot, leaving out `without`."""
        return sum(1 for other, since in self.waiters.items() if other != without and stale_before < since)

    def queue_ahead(self, holder: str, since: float, stale_before: float) -> int:
        """Waiters that came before this one and are still waiting."""
        return sum(
            1
            for other, started in self.waiters.items()
            if other != holder and stale_before < started and (started, other) < (since, holder)
        )


@dataclass(frozen=True)
class Admission:
    decision: Decision
    position: int = 0  # 1 is next in line
    expected_wait_seconds: float = 0.0
    retry_after: int = 0


def slot_free_times(
    leases: Mapping[str, float], capacity: int, lease_seconds: float, latency_seconds: float, now: float
) -> list[float]:
    """When each slot is expected to be free, soonest first: a holder took its slot
    `lease_seconds` before its lease expires and needs `latency_seconds` in all."""
    busy = sorted(
        max(now, expiry - lease_seconds + latency_seconds) for expiry in leases.values() if expiry > now
    )
    return sorted([now] * max(0, capacity - len(busy)) + busy)[:capacity]


def expected_wait(position: int, free_times: list[float], latency_seconds: float, now: float) -> float:
    """Seconds until the `position`-th in line (1 is next) gets a slot."""
    rounds, index = divmod(position - 1, len(free_times))
    return max(0.0, free_times[index] + rounds * latency_seconds - now)


def decide(
    *,
    position: int,
    free_times: list[float],
    latency_seconds: float,
    now: float,
    run_deadline: float,
    after_generation_seconds: float,
    admitted: Decision = "wait",
) -> Admission:
    """`admitted` if the turn, the generation and what follows it fit before the
    run's deadline; otherwise busy, with when a slot is likely free."""
    wait = expected_wait(position, free_times, latency_seconds, now)
    finish = now + wait + latency_seconds + after_generation_seconds
    if finish <= run_deadline:
        return Admission(admitted, position, wait)
    return Admission("busy", position, wait, retry_after=max(1, math.ceil(wait)))


def recent_latency(previous_seconds: float | None, observed_seconds: float, weight: float = 0.3) -> float:
    """An exponentially weighted average: recent generations count most."""
    if previous_seconds is None:
        return observed_seconds
    return (1 - weight) * previous_seconds + weight * observed_seconds
