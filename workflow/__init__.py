"""Local execution and tooling: the product, run on one machine."""

from __future__ import annotations

import repo_paths  # noqa: F401  (puts lambdas/ on the import path, as the Lambda runtime has it)
