"""How long GenerateImage may wait for the endpoint, so that it never outlives its state.

The handler's deadline is the Lambda context's (the function's timeout is below
the ASL task's TimeoutSeconds). Waiting for the GPU may use all of it except a
margin kept for checking and staging the image; a handler left with less than
that margin stages nothing, so no object can appear after its run's clean-up.
Pure Python: the handler passes the context's remaining time in.
"""

from __future__ import annotations

import math

# The endpoint call's read timeout is a whole number of seconds, so one SDK
# client per value can be made once and reused (botocore has no per-call timeout).
MIN_READ_TIMEOUT_SECONDS = 1


def endpoint_read_timeout(remaining_ms: int, staging_margin_seconds: float) -> int | None:
    """Whole seconds the endpoint call may take, or None if no call fits any more."""
    seconds = math.floor(remaining_ms / 1000 - staging_margin_seconds)
    return seconds if seconds >= MIN_READ_TIMEOUT_SECONDS else None


def may_stage(remaining_ms: int, staging_seconds: float) -> bool:
    """Whether an upload bounded to `staging_seconds` still ends before the deadline."""
    return remaining_ms / 1000 >= staging_seconds
