"""Local execution and tooling: the product, run on one machine.

`lambdas/` is the Lambda asset root, so its package imports here exactly as it
does in Lambda: as top-level `text2image`.
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
LAMBDAS_DIR = REPO_ROOT / "lambdas"
ASL_FILE = REPO_ROOT / "asl" / "text2image.asl.json"

if str(LAMBDAS_DIR) not in sys.path:
    sys.path.insert(0, str(LAMBDAS_DIR))
