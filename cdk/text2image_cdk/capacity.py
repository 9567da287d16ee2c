"""The API stage's throttling, derived from what the endpoint can serve.

    c = maxInstances x concurrentGenerationsPerInstance   (generations at once, at full scale)
    L = EXPECTED_GENERATION_SECONDS (8 s), B = RUN_BUDGET_SECONDS (28 s)
    rate  = max(1, ceil(2 c / L))    requests per second
    burst = c x (ceil(B / L) + 1)    requests at once

The GPU finishes c / L generations a second; the stage admits twice that, so the
semaphore (not the gateway) refuses the excess with a Retry-After and the queue
stays full. The burst is what can usefully be in flight or queued within one
budget: every slot busy, plus the runs whose turn still comes in time.
"""

from __future__ import annotations

import math

from text2image.config import AdmissionConfig

HEADROOM = 2


def _default(field: str) -> float:
    return float(AdmissionConfig.model_fields[field].default)


def stage_throttle(max_capacity: int) -> tuple[float, int]:
    """(rate limit per second, burst limit) for a pool of `max_capacity` generations."""
    latency = _default("expected_generation_seconds")
    budget = _default("run_budget_seconds")
    rate = max(1, math.ceil(HEADROOM * max_capacity / latency))
    burst = max_capacity * (math.ceil(budget / latency) + 1)
    return float(rate), burst
