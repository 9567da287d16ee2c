"""`python -m workflow run`: one request through the whole workflow, locally."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests
from pydantic import ValidationError

from text2image.contract import DEFAULT_SIZE, SDXL_SIZES, GenerateRequest
from text2image.handlers.common import describe
from text2image.observability import logger
from workflow.local.capacity_schedule import LOCAL_CAPACITY_REFRESH_SECONDS
from workflow.local.environment import LocalEnvironment, RunResult
from workflow.local.history import StateRecord
from workflow.local.roles import deciding_state, is_core


class _DropMessage(logging.Filter):
    def __init__(self, fragment: str) -> None:
        super().__init__()
        self.fragment = fragment

    def filter(self, record: logging.LogRecord) -> bool:
        return self.fragment not in record.getMessage()


def quiet_libraries() -> None:
    """Silence, at their source, the library notices a first run would print that say nothing
    about the request; every other warning of those libraries still shows."""
    # With metrics off, Powertools still warns on every call that it has none.
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    # diffusers' pipeline imports transformers' image processors, whose default backend needs
    # torchvision; the tiny pipeline has no image processor to run, so the PIL fallback is moot.
    logging.getLogger("transformers.utils.import_utils").addFilter(
        _DropMessage("requires torchvision (not installed)")
    )


@contextmanager
def console_environment(**kwargs: Any) -> Iterator[LocalEnvironment]:
    """The local environment for someone at a terminal: the handlers' JSON logs
    (POWERTOOLS_LOG_LEVEL=INFO brings them back), EMF metrics and library notices stay
    out of the way."""
    logger.setLevel(os.environ.get("POWERTOOLS_LOG_LEVEL", "WARNING"))
    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
    quiet_libraries()
    print(
        "Starting local AWS: moto (S3, Step Functions) and the stand-ins "
        "(Comprehend, Rekognition, Translate, SDXL)...",
        flush=True,
    )
    # RefreshGenerationCapacity on a timer, as EventBridge runs it in the cloud.
    kwargs.setdefault("capacity_refresh_seconds", LOCAL_CAPACITY_REFRESH_SECONDS)
    with LocalEnvironment.running(**kwargs) as env:
        yield env


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "prompt",
        help="what to draw (another language is refused locally unless its translation is installed)",
    )
    parser.add_argument("--negative-prompt", default="", help="what to keep out of the image")
    parser.add_argument("--seed", type=int, help="makes the image reproducible")
    parser.add_argument("--size", default=DEFAULT_SIZE, choices=SDXL_SIZES)
    parser.add_argument(
        "--out", type=Path, default=Path("out/image.png"), help="where an approved image goes"
    )
    parser.add_argument(
        "--all-states",
        action="store_true",
        help="list every state the run passed, admission, idempotency and clean-up included",
    )


def shown_states(result: RunResult, all_states: bool = False) -> list[StateRecord]:
    """The states worth a line: the design card's path, the state that set the answer and any
    state that was retried or met an error; or every state, with `all_states`."""
    if all_states:
        return list(result.history)
    decided_by = deciding_state(result.states)
    return [
        record
        for record in result.history
        if is_core(record.name) or record.name == decided_by or record.errors or record.attempts > 1
    ]


def report(result: RunResult, all_states: bool = False) -> str:
    lines = [f"Outcome: {result.body.get('status', result.status)}  (HTTP {result.http_status})"]
    body = result.body
    if body.get("status") == "REJECTED":
        lines.append(f"Stage:   {body['stage']}  ({body['reason_code']})")
        lines.append(f"Reason:  {body['reason']}")
    elif body.get("status") in {"FAILED", "TIMED_OUT"}:
        lines.append(f"Error:   {body['error']}: {body['message']}")
    elif body.get("status") == "BUSY":
        lines.append(f"Busy:    {body['message']} (Retry-After {body['retry_after']} s)")
    if body.get("translated_prompt"):
        # A translator that glosses rather than translates says so in its terminologies.
        how = ", ".join(name.replace("_", " ") for name in body.get("translation_terminologies") or [])
        by = f" ({how})" if how else ""
        lines.append(f"Translated from '{body['prompt_language']}'{by}: {body['translated_prompt']}")
    labels = body.get("labels") or (result.output or {}).get("labels") or []
    if labels:
        shown = ", ".join(f"{label['name']} {label['score']:.2f}" for label in labels[:8])
        lines.append(f"Labels:  {shown}")
    lines.append("")
    lines.append(f"{'state':<44}{'ms':>9}  {'tries':>5}  errors")
    shown = shown_states(result, all_states)
    for record in shown:
        duration = f"{record.duration_ms:.0f}" if record.duration_ms is not None else "-"
        tries = str(record.attempts) if record.attempts else ""
        lines.append(f"{record.name:<44}{duration:>9}  {tries:>5}  {', '.join(record.errors)}")
    hidden = len(result.history) - len(shown)
    if hidden:
        lines.append(
            f"({hidden} bookkeeping states not shown: admission, idempotency, clean-up; "
            "--all-states, or make run ALL_STATES=1, lists them)"
        )
    return "\n".join(lines)


def save_image(result: RunResult, out: Path, bucket: str) -> str:
    """Fetch the approved image through its presigned URL, as a user's browser would."""
    response = requests.get(result.body["image_url"], timeout=30)
    response.raise_for_status()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(response.content)
    body = result.body
    return (
        f"Image:   {out} ({body['width']}x{body['height']}, seed {body['seed']})\n"
        f"Stored:  s3://{bucket}/{body['image_key']} (presigned URL valid for {body['expires_in']} s)"
    )


def remove_earlier_image(out: Path) -> str | None:
    """A run that drew no image leaves no earlier run's image where its own would be."""
    if not out.is_file():
        return None
    out.unlink()
    return f"Image:   none. Removed {out}, an earlier run's image, so that it is not taken for this one's."


def run(args: argparse.Namespace) -> int:
    try:
        request = GenerateRequest(
            prompt=args.prompt, negative_prompt=args.negative_prompt, seed=args.seed, size=args.size
        )
    except ValidationError as error:
        print(f"Invalid request: {describe(error)}", file=sys.stderr)
        return 2

    with console_environment() as env:
        result = env.run(request)
        print(report(result, args.all_states))
        if result.body.get("status") == "APPROVED":
            print(save_image(result, args.out, env.bucket))
            notice = env.image_model()["notice"]
            if notice:
                print(f"\nNote:    {notice}")
        else:
            removed = remove_earlier_image(args.out)
            if removed:
                print(removed)
    # A rejection is an answer, not a failure of the tool.
    return 0 if result.status == "SUCCEEDED" else 1
