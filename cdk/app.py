"""`cdk synth|deploy|destroy` entry point (cdk.json runs `python -m cdk.app` with the project's venv)."""

from __future__ import annotations

import sys

import repo_paths  # noqa: F401  (the stack reads the Lambda package's catalogue, contract and config)
from cdk.text2image_cdk.app import build_app
from cdk.text2image_cdk.settings import SettingsError

if __name__ == "__main__":
    try:
        app = build_app()
    except SettingsError as error:
        # A wrong -c value is the user's to fix: the message, not a traceback.
        print(f"Invalid deployment setting: {error}", file=sys.stderr)
        sys.exit(2)
    app.synth()
