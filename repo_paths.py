"""Where the repository's parts are, defined once for the local runner, the CDK app and the tests.

`lambdas/` is the Lambda asset root: its package imports as top-level
`text2image`, exactly as in Lambda. Importing this module puts it on the import
path; it is the only place that does (pytest's `pythonpath` does the same).
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent
LAMBDAS_DIR = REPO_ROOT / "lambdas"
FRONTEND_DIR = REPO_ROOT / "frontend"
REQUIREMENTS = REPO_ROOT / "requirements.txt"
CACHE_DIR = REPO_ROOT / ".cache"
# The local development CA that certifies the provenance signing keys: made on first
# use, git-ignored, never committed.
DEV_CA_DIR = REPO_ROOT / ".provenance" / "dev-ca"
# The API's document, generated from the contract (`make openapi`) and served by the local API.
OPENAPI_FILE = REPO_ROOT / "docs" / "openapi.json"
# The workflow's diagram, drawn from the ASL (`make diagram`); the executions page highlights a run on it.
WORKFLOW_SVG = REPO_ROOT / "docs" / "workflow.svg"

if str(LAMBDAS_DIR) not in sys.path:
    sys.path.insert(0, str(LAMBDAS_DIR))

from text2image.catalogue import ASL_PATH  # noqa: E402  (needs lambdas/ on the path)

ASL_FILE = REPO_ROOT / ASL_PATH
