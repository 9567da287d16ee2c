"""`make capacity-sim` drives the product's own admission and scaling functions."""

from __future__ import annotations

import argparse

import pytest

from workflow.measure.capacity_sim import HOUR, arrival_rate, simulate


def test_the_daily_cycle_runs_from_a_tenth_of_the_peak_to_the_peak_with_bursts_on_top():
    assert arrival_rate(600, 4 * HOUR) * 60 == pytest.approx(60)
    assert arrival_rate(600, 16 * HOUR - 600) * 60 == pytest.approx(600, rel=0.01)
    assert arrival_rate(600, 15 * HOUR) * 60 == pytest.approx(
        3 * arrival_rate(600, 15 * HOUR - 600) * 60, rel=0.01
    )


def test_under_overload_the_live_capacity_refuses_fewer_and_keeps_its_gpus_busier():
    args = argparse.Namespace(hours=2.0, min_instances=1, quota=4, per_instance=1, seed=7)
    static, live = simulate("static", 100, args), simulate("live", 100, args)
    assert static.arrivals == pytest.approx(live.arrivals, rel=0.05)
    assert live.refusal_rate() < static.refusal_rate()
    assert static.utilisation(1) < live.utilisation(1) <= 1.0
