"""`cdk synth|deploy|destroy` entry point (cdk.json runs `python -m cdk.app` with the project's venv)."""

from __future__ import annotations

import repo_paths  # noqa: F401  (the stack reads the Lambda package's catalogue, contract and config)
from cdk.text2image_cdk.app import build_app

if __name__ == "__main__":
    build_app().synth()
