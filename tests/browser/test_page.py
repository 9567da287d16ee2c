"""What a user sees: the page in headless Chromium against the whole local stack."""

from __future__ import annotations

import re

import pytest
import requests
from playwright.sync_api import Page, expect

from tests.conftest import ANSWER_END
from workflow.standins.admin import inject_fault, install_translation

pytestmark = pytest.mark.browser

BENIGN = "a jaguar in the Amazon rainforest"
TOXIC = "you are a worthless idiot and I will hurt you"


def open_page(page: Page, url: str) -> None:
    page.goto(f"{url}/")
    expect(page.get_by_role("heading", name="Text to image")).to_be_visible()


def test_a_benign_prompt_shows_progress_then_the_image_with_a_download_link(page: Page, stack, faults):
    # A slow endpoint makes the progress indicator observable, as SDXL on a GPU is.
    inject_fault(faults, "sagemaker", "slow", count=1, delay_seconds=2.0)
    open_page(page, stack.url)
    page.get_by_label("Prompt", exact=True).fill(BENIGN)
    page.get_by_label("Size").select_option("1152x896")
    page.get_by_label("Seed").fill("42")
    page.get_by_role("button", name="Generate").click()

    expect(page.get_by_role("status").filter(has_text="drawing the image")).to_be_visible()
    expect(page.get_by_role("button", name="Generate")).to_be_disabled()

    image = page.get_by_role("img", name=re.compile("Generated image"))
    expect(image).to_be_visible()
    # The browser really fetched the picture through its presigned URL from local S3.
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle())
    assert image.evaluate("img => [img.naturalWidth, img.naturalHeight]") == [1152, 896]
    assert image.get_attribute("src").startswith(stack.moto_url)
    download = page.get_by_role("link", name="Download image")
    assert download.get_attribute("href") == image.get_attribute("src")
    expect(page.locator("figcaption")).to_contain_text("seed 42")
    expect(page.get_by_role("button", name="Generate")).to_be_enabled()
    # The local image model is the untrained tiny pipeline: the page says so beside the image.
    expect(page.locator("#image-model-notice")).to_contain_text("coloured noise")
    expect(page.locator("#image-model-notice")).to_contain_text("LOCAL_IMAGE_MODEL")


def test_a_toxic_prompt_shows_the_prompt_rejection_with_its_labels(page: Page, stack):
    open_page(page, stack.url)
    page.get_by_label("Prompt", exact=True).fill(TOXIC)
    page.get_by_role("button", name="Generate").click()

    rejection = page.locator("#result .notice.rejected")
    expect(rejection).to_be_visible()
    expect(rejection).to_have_attribute("data-stage", "prompt")
    expect(rejection).to_contain_text("Rejected by the prompt check, before any image was drawn")
    expect(rejection).to_contain_text("Why: The prompt was classified as toxic")
    labels = rejection.locator(".label")
    assert labels.count() >= 1
    expect(labels.first.locator(".label-score")).to_have_text(re.compile(r"^score [01]\.\d\d$"))
    expect(page.get_by_role("img", name=re.compile("Generated image"))).to_have_count(0)


def test_check_prompt_shows_the_verdict_with_each_label_and_score(page: Page, stack):
    open_page(page, stack.url)
    page.get_by_label("Prompt", exact=True).fill(TOXIC)
    page.get_by_role("button", name="Check prompt").click()

    verdict = page.locator("#verdict")
    expect(verdict).to_contain_text("This prompt would be rejected.")
    expect(verdict).to_contain_text("Overall toxicity score")
    names = verdict.locator(".label-name").all_inner_texts()
    scores = verdict.locator(".label-score").all_inner_texts()
    assert names and len(names) == len(scores)
    assert all(re.fullmatch(r"score [01]\.\d\d", score) for score in scores)

    page.get_by_label("Prompt", exact=True).fill(BENIGN)
    page.get_by_role("button", name="Check prompt").click()
    expect(verdict).to_contain_text("This prompt passes the check")


def test_an_image_the_moderation_flags_shows_the_image_rejection(page: Page, stack, faults):
    inject_fault(faults, "rekognition", "flag")
    open_page(page, stack.url)
    page.get_by_label("Prompt", exact=True).fill(BENIGN)
    page.get_by_role("button", name="Generate").click()

    rejection = page.locator("#result .notice.rejected")
    expect(rejection).to_have_attribute("data-stage", "image")
    expect(rejection).to_contain_text("Rejected by the image check, after the image was drawn")
    expect(rejection.locator(".label-name").filter(has_text="Nudity").first).to_be_visible()
    expect(rejection).to_contain_text("The image was not published")


@pytest.mark.parametrize(
    ("kind", "title", "advice"),
    [
        (
            "error",
            "Something went wrong on our side (error code GenerationFailed).",
            "What to do: Nothing was published. Try again in a minute",
        ),
        ("throttle", "The service is busy right now.", "Nothing was drawn. Wait 60 seconds and try again."),
    ],
    ids=["model-error", "endpoint-busy"],
)
def test_an_endpoint_that_cannot_draw_shows_a_clear_error_and_what_to_do(
    page: Page, stack, faults, kind, title, advice
):
    inject_fault(faults, "sagemaker", kind, count=5)
    open_page(page, stack.url)
    page.get_by_label("Prompt", exact=True).fill(BENIGN)
    page.get_by_role("button", name="Generate").click()

    alert = page.get_by_role("alert")
    expect(alert).to_contain_text(title)
    expect(alert).to_contain_text(advice)
    assert "Traceback" not in alert.inner_text()


def test_a_bad_seed_is_explained_next_to_the_field_without_calling_the_api(page: Page, stack):
    open_page(page, stack.url)
    requests_made: list[str] = []
    page.on("request", lambda request: requests_made.append(request.url))
    page.get_by_label("Prompt", exact=True).fill(BENIGN)
    page.get_by_label("Seed").fill("-3")
    page.get_by_role("button", name="Generate").click()

    expect(page.locator("#seed-error")).to_contain_text("whole number from 0 to 4294967295")
    expect(page.get_by_label("Seed")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Seed")).to_be_focused()
    assert not [url for url in requests_made if "/api/" in url]


def test_the_page_works_with_the_keyboard_alone(page: Page, stack):
    open_page(page, stack.url)
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to the form")).to_be_focused()
    page.get_by_label("Prompt", exact=True).focus()
    page.keyboard.type(TOXIC)
    # Prompt -> negative prompt -> size -> seed -> Check prompt.
    for _ in range(4):
        page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Check prompt")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#verdict")).to_contain_text("This prompt would be rejected.")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Generate")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#result .notice.rejected")).to_be_visible()


def test_the_page_fits_a_phone_screen(page: Page, stack):
    page.set_viewport_size({"width": 360, "height": 740})
    open_page(page, stack.url)
    page.get_by_label("Prompt", exact=True).fill(TOXIC)
    page.get_by_role("button", name="Check prompt").click()
    expect(page.locator("#verdict .label").first).to_be_visible()

    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page scrolls sideways by {overflow} px on a phone"
    for name in ("Check prompt", "Generate"):
        box = page.get_by_role("button", name=name).bounding_box()
        assert box is not None and box["height"] >= 44  # a comfortable touch target


def test_the_inspection_page_shows_the_states_of_the_last_run(page: Page, stack):
    open_page(page, stack.url)
    page.get_by_label("Prompt", exact=True).fill(TOXIC)
    page.get_by_role("button", name="Generate").click()
    expect(page.locator("#result .notice.rejected")).to_be_visible()

    page.get_by_role("link", name="Executions").click()
    first_row = page.locator("#executions-body tr").first
    expect(first_row).to_contain_text("REJECTED")
    expect(first_row).to_contain_text("prompt")
    first_row.get_by_role("link", name=re.compile("Details")).click()

    timeline = page.locator("#timeline")
    expect(timeline.locator(".state")).to_have_count(14)
    assert timeline.locator(".state-name strong").all_inner_texts() == [
        "ReceiveRequest",
        "IsThereAnIdempotencyKey",
        "ReserveCallersQuota",
        "MayThisCallerGenerate",
        "ReserveGenerationPlace",
        "IsThereRoomForThisRun",
        "CheckPromptToxicity",
        "IsPromptSafe",
        "LeaveGenerationQueue",
        "PromptRejected",
        *ANSWER_END,
    ]
    check = timeline.locator('[data-state="CheckPromptToxicity"]')
    expect(check).to_contain_text("1 attempt")
    check.get_by_text("Output").click()
    expect(check.locator("pre").last).to_contain_text('"reason_code": "TOXIC_PROMPT"')
    expect(page.locator("#detail-summary")).to_contain_text("422")


def test_a_chinese_prompt_shows_the_english_it_was_checked_and_drawn_from(page: Page, stack, faults):
    chinese, english = (
        "生成一个亚马逊雨林中的美洲虎图片",
        "Generate a picture of a jaguar in the Amazon rainforest",
    )
    install_translation(faults, "zh", chinese, english)
    open_page(page, stack.url)
    page.get_by_label("Prompt", exact=True).fill(chinese)

    page.get_by_role("button", name="Check prompt").click()
    expect(page.locator("#verdict .translation")).to_have_text(f"Translated from Chinese: {english}")

    page.get_by_role("button", name="Generate").click()
    expect(page.get_by_role("img", name=re.compile("Generated image"))).to_be_visible()
    expect(page.locator("figcaption .translation")).to_have_text(f"Translated from Chinese: {english}")


def test_generate_runs_as_a_job_showing_its_place_in_the_queue_then_each_stage(page: Page, stack, faults):
    import time

    import boto3

    from text2image.adapters.dynamodb import SlotTable
    from workflow.local.environment import ENDPOINT_NAME, REGION, TABLE_NAMES

    # Another run holds the only slot for a few seconds: the job waits, first in line.
    dynamodb = boto3.client(
        "dynamodb",
        endpoint_url=stack.moto_url,
        region_name=REGION,
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    slots = SlotTable(dynamodb, TABLE_NAMES["SLOTS_TABLE"], ENDPOINT_NAME)
    slots.read()
    inject_fault(faults, "sagemaker", "slow", count=1, delay_seconds=2.0)
    sent: list[str] = []
    page.on("request", lambda request: sent.append(f"{request.method} {request.url}"))
    open_page(page, stack.url)
    page.get_by_label("Prompt", exact=True).fill(BENIGN)
    assert slots.try_acquire("arn:browser-test:another-run", capacity=1, lease_expiry=time.time() + 8)
    page.get_by_role("button", name="Generate").click()

    status = page.get_by_role("status")
    expect(status.filter(has_text="number 1 in the queue")).to_be_visible()
    expect(status.filter(has_text="Drawing the image")).to_be_visible()
    expect(page.get_by_role("img", name=re.compile("Generated image"))).to_be_visible()
    # The page submitted a job and polled it; the sync route stays for API users.
    assert any(line.startswith("POST") and line.endswith("/api/jobs") for line in sent)
    assert any(line.startswith("GET") and "/api/jobs/" in line for line in sent)
    assert not any(line.endswith("/api/generate") for line in sent)


def test_the_chosen_runs_path_is_drawn_on_the_graph_and_its_detail_comes_into_view(page: Page, stack):
    # A long list: the chosen run is the oldest of a dozen, at the bottom of it.
    chosen = "graph test: you are a worthless idiot and I will hurt you"
    for prompt in [chosen, *(f"{TOXIC} ({number})" for number in range(11))]:
        assert (
            requests.post(f"{stack.url}/api/generate", json={"prompt": prompt}, timeout=60).status_code == 422
        )
    page.set_viewport_size({"width": 1100, "height": 700})
    page.goto(f"{stack.url}/executions.html")

    row = page.locator("#executions-body tr").filter(has_text="graph test: ")
    expect(row).to_contain_text("REJECTED")
    expect(row).to_contain_text("prompt (PromptRejected)")
    row.get_by_role("link", name=re.compile("Details")).click()

    expect(page.get_by_role("heading", name=re.compile("graph test: "))).to_be_in_viewport()
    expect(row).to_have_attribute("aria-current", "true")
    graph = page.locator("#graph svg")
    expect(graph).to_be_visible()
    states = page.locator("#timeline .state-name strong").all_inner_texts()
    on_path = graph.locator("g.node.on-path > title").all_text_contents()
    assert sorted(on_path) == sorted(set(states))
    assert "GenerateImage" not in on_path
    expect(graph.locator("g.node.decided > title")).to_have_text("PromptRejected")
    edges = graph.locator("g.edge.on-path > title").all_text_contents()
    assert "IsPromptSafe->LeaveGenerationQueue" in edges
    assert "IsPromptSafe->AcquireGenerationSlot" not in edges
    # The design card's spine edge into the check is on the path: the run went through grey states only.
    assert "ReceiveRequest->CheckPromptToxicity" in edges
    # The path is drawn, not only classed: the blue of the page's accent colour.
    stroke = graph.locator("g.edge.on-path path").first.evaluate("path => getComputedStyle(path).stroke")
    assert stroke == "rgb(11, 92, 173)"
    note = page.locator("#status-note")
    expect(note).to_be_visible()
    expect(note).to_contain_text("A rejection is an answer, not a failure")


def test_a_refused_request_leaves_no_earlier_image_under_the_result(page: Page, stack):
    image = page.get_by_role("img", name=re.compile("Generated image"))
    open_page(page, stack.url)
    page.get_by_label("Prompt", exact=True).fill(BENIGN)
    page.get_by_role("button", name="Generate").click()
    expect(image).to_be_visible()

    # The prompt check refuses the next prompt: the image above was not drawn from it.
    page.get_by_label("Prompt", exact=True).fill(TOXIC)
    page.get_by_role("button", name="Check prompt").click()
    expect(page.locator("#verdict")).to_contain_text("This prompt would be rejected.")
    expect(image).to_have_count(0)
    expect(page.locator("#result")).to_be_hidden()

    # Drawing another prompt hides the verdict on the refused one.
    page.get_by_label("Prompt", exact=True).fill(BENIGN)
    page.get_by_role("button", name="Generate").click()
    expect(image).to_be_visible()
    expect(page.locator("#verdict")).to_be_hidden()

    # A request the page refuses itself (a bad seed) leaves no earlier image either.
    page.get_by_label("Seed").fill("-3")
    page.get_by_role("button", name="Generate").click()
    expect(page.locator("#seed-error")).to_be_visible()
    expect(image).to_have_count(0)
