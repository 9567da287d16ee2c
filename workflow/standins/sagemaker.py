"""A JumpStart SDXL 1.0 endpoint: the runtime's InvokeEndpoint, and the control plane's
DescribeEndpoint and DescribeInferenceComponent for its fleet.

The fleet is `INSTANCES` instances (1 unless the environment says otherwise), each
drawing one image at a time: that many invocations run at once, and the ones beyond
wait for an instance, as requests queue on a real endpoint's instances.
"""

from __future__ import annotations

import base64
import json
import os
import random
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
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


ACCOUNT = "000000000000"
REGION = "us-east-1"
VARIANT = "AllTraffic"


def instances_from_environment(environ: dict[str, str] | None = None) -> int:
    value = (os.environ if environ is None else environ).get("INSTANCES", "") or "1"
    try:
        instances = int(value)
    except ValueError:
        raise ValueError(f"INSTANCES must be a whole number of instances, got {value!r}") from None
    if not 0 <= instances <= 64:
        raise ValueError(f"INSTANCES must be between 0 and 64, got {instances}")
    return instances


class Fleet:
    """The endpoint's instances in service; each serves one invocation at a time."""

    def __init__(self, instances: int) -> None:
        self._changed = threading.Condition()
        self._instances = instances
        self._busy = 0

    @property
    def instances(self) -> int:
        return self._instances

    def resize(self, instances: int) -> None:
        """Scale to `instances`: an invocation already on an instance finishes there."""
        with self._changed:
            self._instances = instances
            self._changed.notify_all()

    def serve(self, work: Callable[[], bytes]) -> bytes:
        """Run `work` on a free instance, waiting for one while all are busy."""
        with self._changed:
            self._changed.wait_for(lambda: self._busy < self._instances)
            self._busy += 1
        try:
            return work()
        finally:
            with self._changed:
                self._busy -= 1
                self._changed.notify_all()


class SdxlEndpointStandIn:
    def __init__(
        self, generator: ImageGenerator, endpoint_names: set[str] | None = None, instances: int | None = None
    ) -> None:
        self.generator = generator
        self.endpoint_names = endpoint_names
        self.fleet = Fleet(instances_from_environment() if instances is None else instances)
        self._created = datetime.now(UTC).timestamp()

    def _known(self, endpoint_name: str) -> None:
        if self.endpoint_names is not None and endpoint_name not in self.endpoint_names:
            raise AwsError("ValidationError", f"Endpoint {endpoint_name} of account {ACCOUNT} not found.")

    def invoke(
        self,
        endpoint_name: str,
        raw: bytes,
        content_type: str,
        delay_seconds: float = 0.0,
        inference_component: str = "",
    ) -> dict[str, Any]:
        """An image, drawn on one of the fleet's instances; `delay_seconds` (the `slow` fault)
        is spent on the instance, as a real generation's time is."""
        self._known(endpoint_name)
        if len(raw) > MAX_PAYLOAD_BYTES:
            raise AwsError("ValidationError", "Request payload is too large (over 6 MB).", 413)
        if content_type.split(";")[0].strip() != "application/json":
            raise model_error(f"unsupported content type {content_type!r}: use application/json")
        request = parse_payload(raw)
        if inference_component and self.fleet.instances == 0:
            raise AwsError(
                "ValidationError",
                "Inference Component has no capacity to process this request. ApplicationAutoScaling may "
                "be in-progress (if configured) or try to increase the capacity.",
            )

        def draw() -> bytes:
            time.sleep(delay_seconds)
            return self.generator.generate(request)

        image = self.fleet.serve(draw)
        return {"generated_image": base64.b64encode(image).decode("ascii")}

    def describe_endpoint(self, body: dict[str, Any]) -> dict[str, Any]:
        """DescribeEndpoint: the one variant's instances in service."""
        name = str(body.get("EndpointName", ""))
        self._known(name)
        instances = self.fleet.instances
        return {
            "EndpointName": name,
            "EndpointArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:endpoint/{name.lower()}",
            "EndpointStatus": "InService",
            "CreationTime": self._created,
            "LastModifiedTime": self._created,
            "ProductionVariants": [
                {"VariantName": VARIANT, "CurrentInstanceCount": instances, "DesiredInstanceCount": instances}
            ],
        }

    def describe_inference_component(self, body: dict[str, Any]) -> dict[str, Any]:
        """DescribeInferenceComponent: one copy per instance in service."""
        name = str(body.get("InferenceComponentName", ""))
        copies = self.fleet.instances
        return {
            "InferenceComponentName": name,
            "InferenceComponentArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:inference-component/{name}",
            "EndpointName": "",
            "EndpointArn": "",
            "InferenceComponentStatus": "InService",
            "CreationTime": self._created,
            "LastModifiedTime": self._created,
            "RuntimeConfig": {"DesiredCopyCount": copies, "CurrentCopyCount": copies},
        }
