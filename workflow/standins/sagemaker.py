"""The SageMaker runtime InvokeEndpoint of a JumpStart SDXL 1.0 endpoint."""

from __future__ import annotations

import base64
import json
import random
from typing import Any

from text2image.contract import MAX_SEED
from workflow.standins.generator import SCHEDULERS, GenerationRequest, ImageGenerator
from workflow.standins.wire import AwsError

MAX_PAYLOAD_BYTES = 6 * 1024 * 1024
MIN_SIDE, MAX_SIDE = 256, 2048
MAX_STEPS = 150
DEFAULTS = {"width": 1024, "height": 1024, "cfg_scale": 7.0, "steps": 50, "sampler": "EulerEDMSampler"}


def model_error(message: str) -> AwsError:
    """How the runtime reports a container's refusal: ModelError, HTTP 424,
    with the container's message inside."""
    return AwsError("ModelError", f'Received client error (400) from primary with message "{message}".', 424)


def _number(payload: dict[str, Any], field: str, kind: type, low: float, high: float) -> Any:
    value = payload.get(field, DEFAULTS.get(field))
    if isinstance(value, bool) or not isinstance(value, int | float) or (kind is int and value != int(value)):
        raise model_error(f"{field} must be {'an integer' if kind is int else 'a number'}")
    if not low <= value <= high:
        # Only "larger than 256" is documented for the container; the other bounds are this stand-in's.
        own = "" if field in ("width", "height") and value < low else " (a bound of the local SDXL stand-in)"
        raise model_error(f"{field} must be between {low} and {high}, got {value}{own}")
    return kind(value)


def parse_payload(raw: bytes) -> GenerationRequest:
    """A JumpStart SDXL payload as a generation request, or ModelError."""
    try:
        payload = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise model_error("the payload is not valid JSON") from None
    if not isinstance(payload, dict):
        raise model_error("the payload must be a JSON object")
    prompts = payload.get("text_prompts")
    if not isinstance(prompts, list) or not prompts:
        raise model_error("text_prompts must be a non-empty list of {text, weight}")
    positive, negative = [], []
    for item in prompts:
        if not isinstance(item, dict) or not isinstance(item.get("text"), str):
            raise model_error("each text prompt needs a text")
        weight = item.get("weight", 1.0)
        if isinstance(weight, bool) or not isinstance(weight, int | float):
            raise model_error("a text prompt's weight must be a number")
        (negative if weight < 0 else positive).append(item["text"])
    if not any(text.strip() for text in positive):
        raise model_error("at least one text prompt must have a positive weight and some text")
    width = _number(payload, "width", int, MIN_SIDE, MAX_SIDE)
    height = _number(payload, "height", int, MIN_SIDE, MAX_SIDE)
    if width % 8 or height % 8:
        raise model_error(f"width and height must be multiples of 8, got {width}x{height}")
    sampler = payload.get("sampler", DEFAULTS["sampler"])
    if sampler not in SCHEDULERS:
        raise model_error(f"sampler must be one of {', '.join(SCHEDULERS)}, got {sampler!r}")
    if payload.get("seed") is None:
        seed = random.randint(0, MAX_SEED)
    else:
        seed = _number(payload, "seed", int, 0, MAX_SEED)
    cfg_scale = _number(payload, "cfg_scale", float, 0, 35)
    return GenerationRequest(
        prompt=", ".join(text for text in positive if text.strip()),
        negative_prompt=", ".join(negative),
        width=width,
        height=height,
        steps=_number(payload, "steps", int, 1, MAX_STEPS),
        # SDXL ignores cfg_scale values of 1 or less: no classifier-free guidance.
        cfg_scale=cfg_scale if cfg_scale > 1 else 1.0,
        seed=seed,
        sampler=sampler,
    )


class SdxlEndpointStandIn:
    def __init__(self, generator: ImageGenerator, endpoint_names: set[str] | None = None) -> None:
        self.generator = generator
        self.endpoint_names = endpoint_names

    def invoke(self, endpoint_name: str, raw: bytes, content_type: str) -> dict[str, Any]:
        if self.endpoint_names is not None and endpoint_name not in self.endpoint_names:
            raise AwsError("ValidationError", f"Endpoint {endpoint_name} of account 000000000000 not found.")
        if len(raw) > MAX_PAYLOAD_BYTES:
            raise AwsError("ValidationError", "Request payload is too large (over 6 MB).", 413)
        if content_type.split(";")[0].strip() != "application/json":
            raise model_error(f"unsupported content type {content_type!r}: use application/json")
        image = self.generator.generate(parse_payload(raw))
        return {"generated_image": base64.b64encode(image).decode("ascii")}
