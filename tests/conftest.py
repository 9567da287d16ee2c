"""Shared fixtures. One LocalEnvironment per test session: moto's Lambda
dispatch and the handlers' environment are process-wide."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest
from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl

from workflow.local.environment import LocalEnvironment
from workflow.standins.admin import clear_faults, clear_translations


class CurrentStdout:
    """A stream that writes to whatever sys.stdout is now. The handlers' logger
    lives for the whole session, while capfd swaps sys.stdout per test."""

    def write(self, text: str) -> int:
        return sys.stdout.write(text)

    def flush(self) -> None:
        sys.stdout.flush()


@pytest.fixture(scope="session")
def local_env() -> Iterator[LocalEnvironment]:
    from text2image.observability import logger

    logger.registered_handler.setStream(CurrentStdout())
    with LocalEnvironment.running(environment={"POWERTOOLS_METRICS_DISABLED": "true"}) as env:
        yield env


class EngineClock:
    """Stands in for the `time` module of moto's retrier: records the backoff
    the ASL asks for instead of sleeping it."""

    def __init__(self) -> None:
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)


@pytest.fixture
def engine_clock(monkeypatch: pytest.MonkeyPatch) -> EngineClock:
    clock = EngineClock()
    monkeypatch.setattr(retrier_decl, "time", clock)
    return clock


@pytest.fixture
def env(local_env: LocalEnvironment, engine_clock: EngineClock) -> Iterator[LocalEnvironment]:
    """The session's environment, with no faults, no installed translations, default
    configuration and a clean call log."""
    clear_faults(local_env.standins_url)
    clear_translations(local_env.standins_url)
    local_env.reset()
    yield local_env
    clear_faults(local_env.standins_url)
    clear_translations(local_env.standins_url)
    local_env.reset()


# Every run ends through the Idempotency-Key's settle states (skipped without a key) and
# the quota's refund (skipped without a caller): an answer succeeds in AnswerGiven, a
# failure fails in RunFailed with its own error.
ANSWER_END = ["ShouldSettleIdempotencyKey", "ShouldRefundCallersQuota", "DidTheRunFail", "AnswerGiven"]
FAILURE_END = ["ShouldSettleIdempotencyKey", "ShouldRefundCallersQuota", "DidTheRunFail", "RunFailed"]


def endpoint_answers(env: LocalEnvironment) -> int:
    """How many SDXL invocations the stand-in has answered (its call log records each when it ends)."""
    return sum(1 for call in env.service_calls() if call["operation"].startswith("/endpoints/"))


def wait_for_endpoint_answers(env: LocalEnvironment, count: int, timeout: float = 30.0) -> None:
    """Until the stand-in has answered `count` invocations: a caller that gave up
    does not stop it drawing, and a test must not end (or the process exit) mid-drawing."""
    import time

    deadline = time.monotonic() + timeout
    while endpoint_answers(env) < count:
        assert time.monotonic() < deadline, "the endpoint stand-in never answered"
        time.sleep(0.1)
