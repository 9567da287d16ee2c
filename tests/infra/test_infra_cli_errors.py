"""What `make synth` / `make deploy` print for a wrong `-c` value: the reason, not a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from repo_paths import REPO_ROOT
from tests.infra.stack_fixtures import make_synth_environment


def test_an_unsupported_instance_type_fails_synth_with_the_supported_ones_and_no_traceback(
    tmp_path: Path,
) -> None:
    environment = {
        **os.environ,
        **make_synth_environment(),
        # What the CDK CLI hands the app for `-c instanceType=...`.
        "CDK_CONTEXT_JSON": json.dumps({"instanceType": "ml.g4dn.xlarge"}),
        "CDK_OUTDIR": str(tmp_path),
    }
    completed = subprocess.run(
        [sys.executable, "-m", "cdk.app"],
        cwd=REPO_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 2
    assert "Traceback" not in completed.stderr
    assert "instanceType 'ml.g4dn.xlarge'" in completed.stderr
    assert "ml.g5.4xlarge" in completed.stderr
