"""`cdk synth|deploy|destroy` entry point (cdk.json runs it with the project's venv)."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The stack reads the Lambda package's catalogue, contract and config.
sys.path[:0] = [str(ROOT), str(ROOT / "lambdas")]

from cdk.text2image_cdk.app import build_app  # noqa: E402

if __name__ == "__main__":
    build_app().synth()
