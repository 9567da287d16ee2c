"""What `make synth` / `make deploy` print for a wrong `-c` value: the reason, not a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from repo_paths import REPO_ROOT


def test_an_unsupported_instance_type_fails_synth_with_the_supported_ones_and_no_traceback(
    tmp_path: Path,
) -> None:
    environment = {
        **os.environ,
        # What the CDK CLI hands the app for `-c instanceType=...`.
        "CDK_CONTEXT_JSON": json.dumps({"instanceType": "ml.g4dn.xlarge"}),
        "CDK_OUTDIR": str(tmp_path),
        "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1",
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
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
