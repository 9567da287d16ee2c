"""Client side of the stand-ins' admin route: fault injection for tests and demos.

A fault applies to the next `count` calls of one service:
- `throttle`: the service's throttling error (retried by the workflow);
- `error`: the service's internal error (Comprehend, Rekognition) or, for the
  SDXL endpoint, a ModelError (not retried);
- `slow`: the answer comes `delay_seconds` late;
- `flag` (Rekognition only): the image is labelled Explicit Nudity at 99 %.
"""

from __future__ import annotations

from typing import Literal, get_args

import requests

Service = Literal["comprehend", "rekognition", "sagemaker"]
Kind = Literal["throttle", "error", "slow", "flag"]
SERVICES: tuple[str, ...] = get_args(Service)
KINDS: tuple[str, ...] = get_args(Kind)


def inject_fault(base_url: str, service: str, kind: str, count: int = 1, delay_seconds: float = 0.0) -> None:
    response = requests.post(
        f"{base_url}/_admin/faults",
        json={"service": service, "kind": kind, "count": count, "delay_seconds": delay_seconds},
        timeout=10,
    )
    response.raise_for_status()


def clear_faults(base_url: str) -> None:
    requests.delete(f"{base_url}/_admin/faults", timeout=10).raise_for_status()
