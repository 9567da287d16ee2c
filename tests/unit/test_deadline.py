import pytest

from text2image.domain.deadline import endpoint_read_timeout, may_stage


@pytest.mark.parametrize(
    ("remaining_ms", "margin", "expected"),
    [(24_000, 3.0, 21), (23_999, 3.0, 20), (4_500, 3.0, 1), (3_999, 3.0, None), (0, 3.0, None)],
)
def test_the_endpoint_may_use_the_remaining_time_except_the_staging_margin(remaining_ms, margin, expected):
    assert endpoint_read_timeout(remaining_ms, margin) == expected


def test_an_upload_that_could_end_after_the_deadline_is_not_started():
    assert may_stage(2_500, 2.5)
    assert not may_stage(2_499, 2.5)
