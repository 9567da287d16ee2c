"""What `make loadtest` says of check 1's refusals: the median and the slowest round trip."""

from __future__ import annotations

from workflow.measure.loadtest import Answer, refusal_times, throughput


def refusal(index: int, seconds: float) -> Answer:
    return Answer(index, 503, seconds, "30", "Busy")


def test_the_refusals_median_and_slowest_are_reported():
    refused = [refusal(1, 0.9), refusal(2, 0.4), refusal(3, 0.5), refusal(4, 2.25)]

    assert refusal_times(refused) == "refusals p50 0.70 s, slowest 2.25 s"


def test_a_burst_without_refusals_says_so():
    assert refusal_times([]) == "no refusals"


def test_the_throughput_is_images_per_minute_of_wall_time():
    assert throughput(45, 90.0) == "throughput: 30.0 images/min"
