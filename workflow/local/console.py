"""`python -m workflow run`: one request through the whole workflow, locally."""

from __future__ import annotations

import argparse
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
from workflow.local.environment import LocalEnvironment, RunResult


@contextmanager
def console_environment(**kwargs: Any) -> Iterator[LocalEnvironment]:
    """The local environment for someone at a terminal: the handlers' JSON logs
    (POWERTOOLS_LOG_LEVEL=INFO brings them back) and EMF metrics stay out of the way."""
    logger.setLevel(os.environ.get("POWERTOOLS_LOG_LEVEL", "WARNING"))
    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
    # With metrics off, Powertools still warns on every call that it has none.
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    print(
        "Starting local AWS: moto (S3, Step Functions) and the stand-ins "
        "(Comprehend, Rekognition, Translate, SDXL)...",
        flush=True,
    )
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


def report(result: RunResult) -> str:
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
        lines.append(f"Translated from '{body['prompt_language']}': {body['translated_prompt']}")
    labels = body.get("labels") or (result.output or {}).get("labels") or []
    if labels:
        shown = ", ".join(f"{label['name']} {label['score']:.2f}" for label in labels[:8])
        lines.append(f"Labels:  {shown}")
    lines.append("")
    lines.append(f"{'state':<44}{'ms':>9}  {'tries':>5}  errors")
    for record in result.history:
        duration = f"{record.duration_ms:.0f}" if record.duration_ms is not None else "-"
        tries = str(record.attempts) if record.attempts else ""
        lines.append(f"{record.name:<44}{duration:>9}  {tries:>5}  {', '.join(record.errors)}")
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
        print(report(result))
        if result.body.get("status") == "APPROVED":
            print(save_image(result, args.out, env.bucket))
            notice = env.image_model()["notice"]
            if notice:
                print(f"\nNote:    {notice}")
    # A rejection is an answer, not a failure of the tool.
    return 0 if result.status == "SUCCEEDED" else 1
