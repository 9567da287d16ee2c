import logging
from datetime import UTC, datetime

import pytest

from workflow.local.console import quiet_libraries, remove_earlier_image, report
from workflow.local.environment import RunResult
from workflow.local.history import StateRecord

T0 = datetime(2026, 1, 1, tzinfo=UTC)
ANSWER_END = ["ShouldSettleIdempotencyKey", "DidTheRunFail", "AnswerGiven"]
PROMPT_REJECTED = [
    "ReceiveRequest",
    "IsThereAnIdempotencyKey",
    "ReserveGenerationPlace",
    "IsThereRoomForThisRun",
    "CheckPromptToxicity",
    "IsPromptSafe",
    "LeaveGenerationQueue",
    "PromptRejected",
    *ANSWER_END,
]


def run_through(names: list[str], body: dict, **records: dict) -> RunResult:
    """A run that passed `names`, with `records[name]` overriding a state's attempts or errors."""
    return RunResult(
        execution_arn="arn:aws:states:us-east-1:123456789012:execution:text2image:x",
        status="SUCCEEDED",
        output=body,
        started=T0,
        http_status=200,
        body=body,
        history=[
            StateRecord(name=name, type="Pass", started=T0, ended=T0, **records.get(name, {}))
            for name in names
        ],
    )


def table(text: str) -> list[str]:
    """The names in the report's state table."""
    lines = text.split("\nstate ", 1)[1].splitlines()[1:]
    return [line.split()[0] for line in lines if line and not line.startswith("(")]


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


def test_the_state_table_shows_the_design_cards_path_and_the_answer_and_hides_the_bookkeeping():
    result = run_through(
        PROMPT_REJECTED, {"status": "REJECTED", "stage": "prompt", "reason_code": "X", "reason": "x"}
    )

    text = report(result)

    assert table(text) == ["ReceiveRequest", "CheckPromptToxicity", "IsPromptSafe", "PromptRejected"]
    assert "(7 bookkeeping states not shown" in text and "--all-states" in text
    assert table(report(result, all_states=True)) == PROMPT_REJECTED
    assert "not shown" not in report(result, all_states=True)


def test_the_state_table_keeps_a_grey_state_that_decided_the_answer_or_was_retried():
    names = [
        "ReceiveRequest",
        "AcquireGenerationSlot",
        "GenerateImage",
        "ReleaseGenerationSlotAfterGenerationError",
        "WhyDidGenerationFail",
        "GenerationFailed",
        "ShouldSettleIdempotencyKey",
        "DidTheRunFail",
        "RunFailed",
    ]
    result = run_through(
        names,
        {"status": "FAILED", "error": "GenerationFailed", "message": "It failed."},
        AcquireGenerationSlot={"attempts": 2},
        GenerateImage={"attempts": 2, "errors": ["ModelError", "ModelError"]},
    )

    assert table(report(result)) == [
        "ReceiveRequest",
        "AcquireGenerationSlot",
        "GenerateImage",
        "GenerationFailed",
    ]


def test_a_run_that_drew_no_image_removes_an_earlier_runs_image_and_says_so(tmp_path):
    earlier = tmp_path / "image.png"
    earlier.write_bytes(b"\x89PNG an earlier run's picture")

    said = remove_earlier_image(earlier)

    assert not earlier.exists()
    assert said is not None and str(earlier) in said and "earlier run" in said
    assert remove_earlier_image(earlier) is None


class Collected(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def import_utils_logger():
    # transformers' own logger for its import-time notices, left as it was found. The handler
    # sits on it: transformers stops its records propagating to the root logger.
    logger = logging.getLogger("transformers.utils.import_utils")
    filters, level = list(logger.filters), logger.level
    # The image generator quiets transformers (ERROR) once it has loaded in this process.
    logger.setLevel(logging.WARNING)
    collected = Collected()
    logger.addHandler(collected)
    yield logger, collected
    logger.removeHandler(collected)
    logger.filters[:] = filters
    logger.setLevel(level)


def test_the_torchvision_fallback_notice_is_silenced_and_other_transformers_warnings_are_not(
    import_utils_logger,
):
    logger, collected = import_utils_logger
    quiet_libraries()
    # The message as transformers 5 words it (transformers/utils/import_utils.py).
    logger.warning(
        "`CLIPImageProcessor` requires torchvision (not installed); falling back to `CLIPImageProcessorPil` "
        "for backward compatibility."
    )
    logger.warning("Could not import module 'X'.")

    assert [record.getMessage() for record in collected.records] == ["Could not import module 'X'."]


def test_a_glossed_translation_is_labelled_as_what_made_it_and_a_plain_one_is_not():
    body = {"status": "APPROVED", "prompt_language": "zh", "translated_prompt": "generate a sunny day"}
    plain = report(run_through(["ReceiveRequest"], body))
    assert "Translated from 'zh': generate a sunny day" in plain
    glossed = report(
        run_through(
            ["ReceiveRequest"],
            {
                **body,
                "translation_terminologies": ["CC-CEDICT_dictionary_gloss_by_the_local_Translate_stand-in"],
            },
        )
    )
    label = "(CC-CEDICT dictionary gloss by the local Translate stand-in)"
    assert f"Translated from 'zh' {label}: generate a sunny day" in glossed
