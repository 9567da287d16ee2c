"""`make bench` imports every handler in the environment it sets: each must load there."""

from __future__ import annotations

import os
import subprocess
import sys

from repo_paths import LAMBDAS_DIR
from text2image.catalogue import FUNCTIONS
from workflow.measure.cold_start import ENVIRONMENT


def test_every_catalogue_handler_imports_in_the_benchmarks_environment():
    modules = sorted({spec.handler.rsplit(".", 1)[0] for spec in FUNCTIONS})
    code = "; ".join(f"import {module}" for module in modules)
    environment = {**os.environ, **ENVIRONMENT}
    completed = subprocess.run(
        [sys.executable, "-c", code], env=environment, cwd=LAMBDAS_DIR, capture_output=True, text=True
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
