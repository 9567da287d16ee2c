"""Repository paths the stack reads: the Lambda asset, the ASL file, the page."""

from __future__ import annotations

from pathlib import Path

from text2image.catalogue import ASL_PATH

REPO_ROOT = Path(__file__).resolve().parents[2]
LAMBDAS_DIR = REPO_ROOT / "lambdas"
ASL_FILE = REPO_ROOT / ASL_PATH
FRONTEND_DIR = REPO_ROOT / "frontend"
REQUIREMENTS = REPO_ROOT / "requirements.txt"

# The asset is the `text2image` package alone: boto3 is in the runtime and
# Powertools (with Pydantic and the X-Ray SDK) comes from the public layer.
LAMBDA_ASSET_EXCLUDE: list[str] = ["**/__pycache__", "**/*.pyc", "**/.pytest_cache", "**/.ruff_cache"]


def pinned_version(package: str) -> str:
    """The version requirements.txt pins for a package, e.g. '3.37.0'."""
    for line in REQUIREMENTS.read_text().splitlines():
        name, _, version = line.split("#")[0].strip().partition("==")
        if name.split("[")[0].strip().lower() == package.lower() and version:
            return version.strip()
    raise LookupError(f"{package} is not pinned in {REQUIREMENTS}")
