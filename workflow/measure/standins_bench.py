"""`make bench`: per-call latency of each stand-in API, through real boto3
clients over HTTP, after the models have loaded. It prints p50 and p95; it
asserts nothing (this machine is noisy).

Targets: text under 10 ms, image moderation under 50 ms, tiny-pipeline
generation at 1024 x 1024 with the workflow's default 25 steps under 1 s.
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import statistics
import time
from collections.abc import Callable

import boto3
from botocore.config import Config
from PIL import Image

from workflow.standins.server import StandinServer
from workflow.standins.translate import InstalledTranslation

TARGETS_MS = {
    "DetectDominantLanguage": 10,
    "DetectToxicContent": 10,
    "TranslateText, auto (installed text)": 10,
    "DetectModerationLabels": 50,
    "InvokeEndpoint 1024x1024, 25 steps": 1000,
}


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95


def measure(call: Callable[[], object], repeat: int) -> list[float]:
    call()  # the first call of a shape is not what a user waits for afterwards
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m workflow.measure.standins_bench", description=__doc__)
    parser.add_argument("--repeat", type=int, default=50, help="calls per text and image API")
    parser.add_argument("--generations", type=int, default=10, help="calls of the endpoint")
    args = parser.parse_args(argv)

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = StandinServer()
    started = time.perf_counter()
    server.app.warm_up()
    load_s = time.perf_counter() - started
    server.start()
    clients = {
        service: boto3.client(
            service,
            endpoint_url=server.url,
            region_name="us-east-1",
            aws_access_key_id="local",
            aws_secret_access_key="local",
            config=Config(retries={"total_max_attempts": 1}, read_timeout=120),
        )
        for service in ("comprehend", "rekognition", "sagemaker-runtime", "translate")
    }
    image = io.BytesIO()
    Image.linear_gradient("L").resize((1024, 1024)).convert("RGB").save(image, format="PNG")
    prompt = "a jaguar in the Amazon rainforest at sunrise, highly detailed"
    # The Translate stand-in has no model: it answers an installed translation, after detecting `auto`.
    chinese = "生成一个亚马逊雨林中的美洲虎图片"
    server.app.translate.book.add(
        InstalledTranslation(source_language="zh", text=chinese, translated_text=prompt)
    )
    sdxl = json.dumps(
        {
            "text_prompts": [{"text": prompt, "weight": 1.0}],
            "width": 1024,
            "height": 1024,
            "steps": 25,
            "cfg_scale": 7,
            "sampler": "DPMPP2MSampler",
            "seed": 42,
        }
    )
    calls: dict[str, tuple[Callable[[], object], int]] = {
        "DetectDominantLanguage": (
            lambda: clients["comprehend"].detect_dominant_language(Text=prompt),
            args.repeat,
        ),
        "DetectToxicContent": (
            lambda: clients["comprehend"].detect_toxic_content(
                LanguageCode="en", TextSegments=[{"Text": prompt}, {"Text": "blurry, low quality"}]
            ),
            args.repeat,
        ),
        "TranslateText, auto (installed text)": (
            lambda: clients["translate"].translate_text(
                Text=chinese, SourceLanguageCode="auto", TargetLanguageCode="en"
            ),
            args.repeat,
        ),
        "DetectModerationLabels": (
            lambda: clients["rekognition"].detect_moderation_labels(Image={"Bytes": image.getvalue()}),
            args.repeat,
        ),
        "InvokeEndpoint 1024x1024, 25 steps": (
            lambda: (
                clients["sagemaker-runtime"]
                .invoke_endpoint(EndpointName="sdxl", ContentType="application/json", Body=sdxl)["Body"]
                .read()
            ),
            args.generations,
        ),
    }
    print(
        f"models loaded and warmed in {load_s:.1f} s; times in ms; "
        f"image model: {server.app.sagemaker.generator.description}"
    )
    print("server: time inside the stand-in; round trip: the boto3 call, signing and HTTP included")
    print(
        f"{'API':38} {'calls':>5} {'server p50':>11} {'p95':>7} "
        f"{'round trip p50':>15} {'p95':>7} {'target':>7}"
    )
    try:
        for name, (call, repeat) in calls.items():
            server.app.calls.clear()
            round_trip = percentiles(measure(call, repeat))
            inside = percentiles([entry["ms"] for entry in list(server.app.calls)[1:]])
            print(
                f"{name:38} {repeat:>5} {inside[0]:>11.1f} {inside[1]:>7.1f} {round_trip[0]:>15.1f} "
                f"{round_trip[1]:>7.1f} {TARGETS_MS[name]:>7}",
                flush=True,
            )
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
