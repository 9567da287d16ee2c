"""The page behind sign-in (make local AUTH=cognito): sign in, generate, sign out."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import RunningStack, running_stack
from workflow.local.auth import TEST_PASSWORD, TEST_USER


@pytest.fixture(scope="module")
def signed_in_stack() -> Iterator[RunningStack]:
    yield from running_stack("--auth", "cognito")


@pytest.fixture
def auth_page(browser: Browser, signed_in_stack: RunningStack) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1100, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(60_000)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def test_a_user_signs_in_generates_and_signs_out(auth_page: Page, signed_in_stack: RunningStack):
    page = auth_page
    page.goto(f"{signed_in_stack.url}/")
    page.get_by_label("User name").fill(TEST_USER)
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert").filter(has_text="Could not sign in")).to_be_visible()

    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#signed-in-as")).to_have_text(f"Signed in as {TEST_USER}")

    page.get_by_label("Prompt", exact=True).fill("a jaguar in the Amazon rainforest")
    page.get_by_role("button", name="Generate").click()
    image = page.get_by_role("img", name=re.compile("Generated image"))
    expect(image).to_be_visible()

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    # Signed out, the API refuses the page: the token is gone.
    status = page.evaluate("async () => (await fetch('api/jobs/x')).status")
    assert status == 401
