"""Charts of the measurements, drawn with matplotlib: axes with units, and a legend."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only: no display on a server or in CI

import matplotlib.pyplot as plt

STATUS_COLOURS = {200: "#2e7d32", 503: "#e69600"}
OTHER_COLOUR = "#c80000"


def latency_per_request(
    requests: Sequence[tuple[int, int, float]], path: Path, title: str = "Latency per request"
) -> None:
    """A bar per request (index, HTTP status, seconds), coloured by status."""
    figure, axes = plt.subplots(figsize=(max(6.0, 0.35 * len(requests) + 2), 4))
    statuses = sorted({status for _, status, _ in requests})
    for status in statuses:
        mine = [(index, seconds) for index, code, seconds in requests if code == status]
        axes.bar(
            [index for index, _ in mine],
            [seconds for _, seconds in mine],
            color=STATUS_COLOURS.get(status, OTHER_COLOUR),
            label=f"HTTP {status}" if status else "no answer",
        )
    axes.set_xlabel("request (in the order sent)")
    axes.set_ylabel("latency (s)")
    axes.set_title(title)
    axes.grid(axis="y", alpha=0.3)
    axes.legend()
    save(figure, path)


def save(figure: plt.Figure, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
