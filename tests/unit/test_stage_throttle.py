import pytest

from cdk.text2image_cdk.capacity import stage_throttle


@pytest.mark.parametrize(
    ("capacity", "expected"),
    [(1, (1.0, 5)), (2, (1.0, 10)), (5, (2.0, 25)), (20, (5.0, 100))],
)
def test_the_stage_admits_twice_what_the_gpu_serves_and_a_budgets_worth_at_once(capacity, expected):
    assert stage_throttle(capacity) == expected
