"""Cross-check the JumpStart artifact table (jumpstart.py) against the JumpStart
model specs that `cdklabs-generative-ai-cdk-constructs` ships.

That package cannot be installed beside this project (it pins cdk-nag < 3), so
the check reads its wheel without installing it:

    .venv/bin/python -m pip download --no-deps -d /tmp/gacc cdklabs-generative-ai-cdk-constructs==0.1.320
    .venv/bin/python -m cdk.text2image_cdk.jumpstart_check /tmp/gacc/*.whl

The specs are `jumpstart-models.json` inside the wheel's jsii tarball: a
serialized Node Buffer of raw-deflated JSON, one entry per model id and version.
"""

from __future__ import annotations

import io
import json
import sys
import tarfile
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .jumpstart import (
    CONTAINER_ENVIRONMENT,
    DEFAULT_INSTANCE_TYPE,
    MODEL_DATA_KEY,
    MODEL_ID,
    SDXL_ARTIFACTS,
    SUPPORTED_INSTANCE_TYPES,
)

SPECS_PATH = "package/lib/patterns/gen-ai/aws-model-deployment-sagemaker/jumpstart-models.json"


def read_specs(wheel: Path) -> dict[str, Any]:
    with zipfile.ZipFile(wheel) as archive:
        tarball = next(name for name in archive.namelist() if name.endswith(".jsii.tgz"))
        with tarfile.open(fileobj=io.BytesIO(archive.read(tarball))) as tar:
            member = tar.extractfile(SPECS_PATH)
            assert member is not None, SPECS_PATH
            buffer = json.loads(member.read())
    return dict(json.loads(zlib.decompress(bytes(buffer["data"]), -15)))


def differences(spec: dict[str, Any]) -> Iterator[str]:
    """Where one spec version disagrees with the table."""
    if spec["prepackedArtifactKey"] != MODEL_DATA_KEY:
        yield f"model data key {spec['prepackedArtifactKey']!r} != {MODEL_DATA_KEY!r}"
    images = {alias["region"]: alias["aliases"].get("gpu_ecr_uri_1") for alias in spec["instanceAliases"]}
    for region, artifacts in sorted(SDXL_ARTIFACTS.items()):
        if images.get(region) != artifacts.image_uri:
            yield f"{region}: image {images.get(region)!r} != {artifacts.image_uri!r}"
    environment = {name: str(value) for name, value in spec["environment"].items()}
    if environment != CONTAINER_ENVIRONMENT:
        yield f"environment {environment} != {CONTAINER_ENVIRONMENT}"
    if spec.get("defaultInstanceType") != DEFAULT_INSTANCE_TYPE:
        yield f"default instance type {spec.get('defaultInstanceType')!r} != {DEFAULT_INSTANCE_TYPE!r}"
    if sorted(spec.get("instanceTypes", [])) != sorted(SUPPORTED_INSTANCE_TYPES):
        yield f"instance types {spec.get('instanceTypes')} != {list(SUPPORTED_INSTANCE_TYPES)}"


def check(specs: dict[str, Any]) -> dict[str, list[str]]:
    """Each SDXL 1.0 spec version and its differences from the table (empty: it agrees)."""
    versions = {
        spec["version"]: list(differences(spec)) for spec in specs.values() if spec["modelId"] == MODEL_ID
    }
    if not versions:
        raise LookupError(f"the specs have no {MODEL_ID}")
    return versions


def main(argv: list[str]) -> int:
    versions = check(read_specs(Path(argv[0])))
    for version, found in sorted(versions.items(), key=lambda item: [int(p) for p in item[0].split(".")]):
        print(f"{MODEL_ID} {version}: " + ("agrees" if not found else "; ".join(found)))
    return 0 if any(not found for found in versions.values()) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
