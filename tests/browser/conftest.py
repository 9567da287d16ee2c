"""The whole local stack in a subprocess (`python -m workflow local`), as a user
starts it, and headless Debian Chromium driving the page.

A subprocess keeps the stack's process-wide state (moto's Lambda dispatch, the
handlers' environment) away from the in-process `local_env` of other tests.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from repo_paths import REPO_ROOT
from workflow.standins.admin import clear_faults, clear_translations

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = REPO_ROOT / "test-artifacts"
STARTUP_SECONDS = 300
# A generation on CPU takes seconds, not milliseconds; far inside this.
expect.set_options(timeout=60_000)


@dataclass
class RunningStack:
    process: subprocess.Popen[str]
    url: str
    standins_url: str
    moto_url: str
    output: list[str] = field(default_factory=list)


def _clean_environment() -> dict[str, str]:
    # Other tests of this session may have pointed AWS_* at their own in-process stack.
    environment = {
        name: value for name, value in os.environ.items() if not name.startswith(("AWS_", "MOTO_"))
    }
    environment["PYTHONUNBUFFERED"] = "1"
    return environment


@pytest.fixture(scope="session")
def stack() -> Iterator[RunningStack]:
    yield from running_stack()


def running_stack(*arguments: str) -> Iterator[RunningStack]:
    """`python -m workflow local` as a user starts it, until the session ends."""
    process = subprocess.Popen(
        [sys.executable, "-m", "workflow", "local", "--port", "0", *arguments],
        cwd=REPO_ROOT,
        env=_clean_environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output: list[str] = []

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            output.append(line)

    threading.Thread(target=pump, daemon=True).start()
    deadline = time.monotonic() + STARTUP_SECONDS
    while not any(line.startswith("Ready.") for line in output):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail("`python -m workflow local` did not start:\n" + "".join(output)[-4000:])
        time.sleep(0.2)
    # "frontend:   http://127.0.0.1:PORT/" and the like, as a user reads them.
    urls = {
        match.group(1): match.group(2)
        for match in (re.match(r"^([a-z-]+)(?: \(.*\))?:\s+(http://\S+)", line) for line in output)
        if match
    }
    try:
        running = RunningStack(
            process=process,
            url=urls["frontend"].rstrip("/"),
            standins_url=urls["stand-ins"],
            moto_url=urls["moto"],
            output=output,
        )
    except KeyError:
        process.kill()
        raise
    yield running

    # Ctrl-C must stop everything cleanly.
    process.send_signal(signal.SIGINT)
    try:
        code = process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        pytest.fail("the local stack did not stop within 30 s of Ctrl-C")
    assert code == 0, "".join(output)[-4000:]
    assert "Stopped." in "".join(output)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    assert CHROMIUM.exists(), f"{CHROMIUM} is missing: `make chromium` installs Debian's chromium"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=["--no-sandbox", "--disable-dev-shm-usage"],
        )
        yield browser
        browser.close()


@pytest.fixture
def faults(stack: RunningStack) -> Iterator[str]:
    """The stand-ins' URL, with no fault or installed translation left over before or after the test."""
    clear_faults(stack.standins_url)
    clear_translations(stack.standins_url)
    yield stack.standins_url
    clear_faults(stack.standins_url)
    clear_translations(stack.standins_url)


@pytest.fixture
def page(
    browser: Browser, stack: RunningStack, faults: str, request: pytest.FixtureRequest
) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1100, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(60_000)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"
