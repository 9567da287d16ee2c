"""The re-check of the JumpStart artifact table reads the specs as
cdklabs-generative-ai-cdk-constructs packs them (a wheel built here in that
layout: the package itself cannot be installed beside cdk-nag 3)."""

from __future__ import annotations

import io
import json
import tarfile
import zipfile
import zlib
from pathlib import Path
from typing import Any

from cdk.text2image_cdk.jumpstart import (
    CONTAINER_ENVIRONMENT,
    DEFAULT_INSTANCE_TYPE,
    MODEL_DATA_KEY,
    MODEL_ID,
    SDXL_ARTIFACTS,
    SUPPORTED_INSTANCE_TYPES,
)
from cdk.text2image_cdk.jumpstart_check import SPECS_PATH, check, read_specs


def spec(version: str, **changes: Any) -> dict[str, Any]:
    return {
        "modelId": MODEL_ID,
        "version": version,
        "prepackedArtifactKey": MODEL_DATA_KEY,
        "environment": {**CONTAINER_ENVIRONMENT, "ENDPOINT_SERVER_TIMEOUT": 3600},
        "instanceAliases": [
            {"region": region, "aliases": {"gpu_ecr_uri_1": artifacts.image_uri}}
            for region, artifacts in SDXL_ARTIFACTS.items()
        ],
        "defaultInstanceType": DEFAULT_INSTANCE_TYPE,
        "instanceTypes": list(reversed(SUPPORTED_INSTANCE_TYPES)),
        **changes,
    }


def wheel(tmp_path: Path, specs: dict[str, Any]) -> Path:
    compressor = zlib.compressobj(wbits=-15)
    deflated = compressor.compress(json.dumps(specs).encode()) + compressor.flush()
    content = json.dumps({"type": "Buffer", "data": list(deflated)}).encode()
    tarball = io.BytesIO()
    with tarfile.open(fileobj=tarball, mode="w:gz") as tar:
        info = tarfile.TarInfo(SPECS_PATH)
        info.size = len(content)
        tar.addfile(info, io.BytesIO(content))
    path = tmp_path / "constructs.whl"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("cdklabs/_jsii/generative-ai-cdk-constructs@0.1.320.jsii.tgz", tarball.getvalue())
    return path


def test_a_spec_that_agrees_with_the_table_is_reported_as_agreeing(tmp_path: Path) -> None:
    specs = {"A": spec("1.0.1"), "OTHER": {**spec("9.9.9"), "modelId": "some-other-model"}}
    assert check(read_specs(wheel(tmp_path, specs))) == {"1.0.1": []}


def test_a_different_image_key_or_environment_is_named(tmp_path: Path) -> None:
    moved = spec("1.0.2", prepackedArtifactKey="stabilityai-infer/prepack/v9/x.tar.gz")
    moved["instanceAliases"][0]["aliases"]["gpu_ecr_uri_1"] = "elsewhere"
    moved["environment"]["SM_NUM_GPUS"] = "1"
    (found,) = check(read_specs(wheel(tmp_path, {"B": moved}))).values()
    assert len(found) == 3
    assert "model data key" in found[0] and "image 'elsewhere'" in found[1] and "environment" in found[2]


def test_a_spec_that_supports_other_instance_types_is_named(tmp_path: Path) -> None:
    # 1.0.0 listed more types than the versions after it.
    wider = spec("1.0.0", instanceTypes=[*SUPPORTED_INSTANCE_TYPES, "ml.p4d.24xlarge"])
    (found,) = check(read_specs(wheel(tmp_path, {"C": wider}))).values()
    assert len(found) == 1 and "ml.p4d.24xlarge" in found[0]
