"""`python -m workflow outputs`: what `make deploy` ends with, read from cdk.out/outputs.json."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cdk.text2image_cdk.app import STACK_NAME
from repo_paths import REPO_ROOT

OUTPUTS_FILE = REPO_ROOT / "cdk.out" / "outputs.json"
SHOWN = {
    "SiteUrl": "Site",
    "GenerateUrl": "POST prompts to",
    "ApiUrl": "API stage",
    "ExecutionsConsoleUrl": "Executions",
    "ImageBucket": "Image bucket",
    "EndpointName": "SDXL endpoint",
    "ApiKeyId": "API key id",
}


def summary(outputs: dict[str, Any], stack: str = STACK_NAME) -> str:
    values = outputs.get(stack)
    if not values:
        raise KeyError(f"no outputs for stack {stack} (was it deployed?)")
    width = max(len(label) for label in SHOWN.values())
    return "\n".join(f"{label:<{width}}  {values[key]}" for key, label in SHOWN.items() if values.get(key))


def main(path: Path = OUTPUTS_FILE) -> int:
    try:
        print(summary(json.loads(path.read_text())))
    except (OSError, ValueError, KeyError) as error:
        print(f"Cannot read the stack's outputs from {path}: {error}")
        return 1
    return 0
