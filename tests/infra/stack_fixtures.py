"""Synthesize the CDK app once per configuration, offline, with the cdk-nag checks on."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from repo_paths import REPO_ROOT

# As the Makefile's JSII_QUIET: jsii's Node banner would be echoed as b'...' lines.
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from cdk.text2image_cdk.app import STACK_NAME, build_app

# The configuration most infra tests read: not the defaults, to prove context flows through.
CUSTOM: dict[str, Any] = {"instanceType": "ml.g5.8xlarge", "minInstances": 2, "maxInstances": 5}
# minInstances=0: SDXL as an inference component that scales to zero.
SCALE_TO_ZERO: dict[str, Any] = {"minInstances": 0, "maxInstances": 3}

# No credentials, no default Region from the machine: the synth must not depend on them.
OFFLINE_ENVIRON: dict[str, str] = {}

# What `cdk deploy` synthesizes: the CLI sets CDK_DEFAULT_ACCOUNT from the caller's
# credentials, so the account is concrete exactly when someone really deploys.
CONCRETE_ACCOUNT = "123456789012"
CONCRETE: dict[str, Any] = {"account": CONCRETE_ACCOUNT, "region": "us-east-1"}


@dataclass
class Synth:
    template: dict[str, Any]
    assembly_dir: Path
    asset_dirs: list[Path]

    def nag_findings(self) -> list[dict[str, Any]]:
        """cdk-nag findings nobody acknowledged, errors and warnings alike, from
        the assembly's validation report (errors also fail the synth itself)."""
        report = json.loads((self.assembly_dir / "validation-report.json").read_text())
        return [
            violation
            for plugin in report["pluginReports"]
            if plugin["pluginName"] == "AwsSolutions"
            for violation in plugin["violations"]
        ]

    def resources(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.template["Resources"].items() if v["Type"] == resource_type}

    def one(self, resource_type: str) -> tuple[str, dict[str, Any]]:
        found = self.resources(resource_type)
        assert len(found) == 1, f"expected one {resource_type}, found {sorted(found)}"
        return next(iter(found.items()))

    def function(self, name: str) -> dict[str, Any]:
        matches = [
            v for k, v in self.resources("AWS::Lambda::Function").items() if k.startswith(f"Functions{name}")
        ]
        assert len(matches) == 1, name
        return matches[0]["Properties"]


_SYNTHESIZED: dict[str, Synth] = {}


def synthesize(context: Mapping[str, Any] | None = None) -> Synth:
    """One synth per distinct context for the whole test session (each takes ~10 s)."""
    key = json.dumps(context or {}, sort_keys=True)
    if key not in _SYNTHESIZED:
        _SYNTHESIZED[key] = _synthesize(context)
    return _SYNTHESIZED[key]


def _synthesize(context: Mapping[str, Any] | None) -> Synth:
    app = build_app(context, environ=OFFLINE_ENVIRON)
    assembly = app.synth()  # runs the AwsSolutions validation: any unacknowledged finding raises
    stack = assembly.get_stack_by_name(STACK_NAME)
    assembly_dir = Path(assembly.directory)
    manifest_assets = [
        assembly_dir / entry.name
        for entry in assembly_dir.iterdir()
        if entry.is_dir() and entry.name.startswith("asset.")
    ]
    return Synth(template=stack.template, assembly_dir=assembly_dir, asset_dirs=manifest_assets)


def make_synth_environment() -> dict[str, str]:
    """The NAME=value pairs `make synth` puts before the CDK CLI (what the app inherits)."""
    printed = subprocess.run(
        ["make", "-n", "-s", "synth"], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    ).stdout
    (command,) = [line for line in printed.splitlines() if " cdk " in line]
    words = shlex.split(command)
    return dict(word.split("=", 1) for word in words[: words.index("npx")])
