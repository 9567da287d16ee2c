from datetime import UTC, datetime

from workflow.local.console import report
from workflow.local.environment import RunResult


def test_a_busy_answer_is_reported_with_when_to_try_again():
    body = {"status": "BUSY", "error": "Busy", "message": "The image service is busy.", "retry_after": 12}
    result = RunResult(
        execution_arn="arn:aws:states:us-east-1:123456789012:execution:text2image:x",
        status="SUCCEEDED",
        output=body,
        started=datetime(2026, 1, 1, tzinfo=UTC),
        http_status=503,
        body=body,
    )
    text = report(result)
    assert "Outcome: BUSY  (HTTP 503)" in text
    assert "Busy:    The image service is busy. (Retry-After 12 s)" in text
