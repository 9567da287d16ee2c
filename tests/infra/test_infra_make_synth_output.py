"""`make synth` prints readable text: no Node banner from jsii echoed as Python bytes.

The app's jsii runtime (Node) prints its Node-version banner before its protocol
starts, and jsii's Python side echoes each such line with print(bytes), so it
arrives as b'!!...'. The Makefile silences the banner for the Node the team runs.
"""

from __future__ import annotations

import os
import subprocess
import sys

from repo_paths import REPO_ROOT
from tests.infra.stack_fixtures import make_synth_environment


def test_the_app_started_as_make_synth_starts_it_prints_no_bytes_on_stderr() -> None:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("JSII_")}
    environment.update(make_synth_environment())
    # Importing aws_cdk starts the jsii runtime, which is when the banner appears.
    started = subprocess.run(
        [sys.executable, "-c", "import aws_cdk"],
        cwd=REPO_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert "b'" not in started.stderr, started.stderr
    assert "end-of-life" not in started.stderr, started.stderr
