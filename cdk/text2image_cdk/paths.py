"""Repository paths the stack reads: the Lambda asset, the ASL file, the page."""

from __future__ import annotations

from repo_paths import ASL_FILE, FRONTEND_DIR, LAMBDAS_DIR, REQUIREMENTS

__all__ = ["ASL_FILE", "FRONTEND_DIR", "LAMBDAS_DIR", "REQUIREMENTS", "pinned_version"]

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
