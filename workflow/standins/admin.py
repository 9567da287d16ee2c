"""Client side of the stand-ins' admin routes: fault injection and known
translations, for tests and demos.

A fault applies to the next `count` calls of one service:
- `throttle`: the service's throttling error (retried by the workflow);
- `error`: the service's internal error (Comprehend, Rekognition, KMS Sign) or,
  for the SDXL endpoint, a ModelError (not retried);
- `slow`: the answer comes `delay_seconds` late;
- `flag` (Rekognition only): the image is labelled `label` (a model-7 label,
  Explicit Nudity unless told) at `confidence` (99 unless told), with its
  parents, besides what the stand-in's models find in it;
- `unavailable` (Translate only): `ServiceUnavailableException` (503);
- `celebrity` (Rekognition only): RecognizeCelebrities "recognises" `name` at
  `match_confidence` (99 unless told): the stand-in cannot recognise anyone itself;
- `intervene` (Bedrock only): ApplyGuardrail finds `filter_type` (SEXUAL unless
  told) at HIGH confidence, besides what the local models find.

`operation` limits a fault to one operation of the service (e.g. a Rekognition
`throttle` on `RecognizeCelebrities` only); `flag` applies to
DetectModerationLabels and `celebrity` to RecognizeCelebrities by their nature.

The Translate stand-in has no model: it answers only the translations
installed with `install_translation`, and refuses every other text.
"""

from __future__ import annotations

from typing import Literal, get_args

import requests

Service = Literal["comprehend", "rekognition", "sagemaker", "translate", "bedrock", "kms"]
Kind = Literal["throttle", "error", "slow", "flag", "unavailable", "celebrity", "intervene"]
SERVICES: tuple[str, ...] = get_args(Service)
KINDS: tuple[str, ...] = get_args(Kind)
FLAG_LABEL = "Explicit Nudity"
FLAG_CONFIDENCE = 99.0
CELEBRITY_NAME = "Jane Example"
CELEBRITY_CONFIDENCE = 99.0


def inject_fault(
    base_url: str,
    service: str,
    kind: str,
    count: int = 1,
    delay_seconds: float = 0.0,
    label: str = FLAG_LABEL,
    confidence: float = FLAG_CONFIDENCE,
    operation: str | None = None,
    name: str = CELEBRITY_NAME,
    match_confidence: float = CELEBRITY_CONFIDENCE,
    filter_type: str = "SEXUAL",
) -> None:
    fault: dict[str, object] = {
        "service": service,
        "kind": kind,
        "count": count,
        "delay_seconds": delay_seconds,
    }
    if kind == "flag":
        fault |= {"label": label, "confidence": confidence}
    if kind == "celebrity":
        fault |= {"name": name, "match_confidence": match_confidence}
    if kind == "intervene":
        fault["filter_type"] = filter_type
    if operation:
        fault["operation"] = operation
    response = requests.post(f"{base_url}/_admin/faults", json=fault, timeout=10)
    response.raise_for_status()


def clear_faults(base_url: str) -> None:
    requests.delete(f"{base_url}/_admin/faults", timeout=10).raise_for_status()


def install_translation(
    base_url: str, source_language: str, text: str, translated_text: str, target_language: str = "en"
) -> None:
    """Teach the Translate stand-in one translation of exactly this text."""
    response = requests.post(
        f"{base_url}/_admin/translations",
        json={
            "source_language": source_language,
            "target_language": target_language,
            "text": text,
            "translated_text": translated_text,
        },
        timeout=10,
    )
    response.raise_for_status()


def clear_translations(base_url: str) -> None:
    requests.delete(f"{base_url}/_admin/translations", timeout=10).raise_for_status()
