"""`make provenance-layer`: the Lambda layer of MarkProvenance and VerifyApi, built
without Docker from manylinux wheels for the functions' runtime and architecture.

It holds c2pa-python (with cryptography and requests, which it needs), numpy,
PyWavelets and Pillow, at the versions of requirements.lock. Not torch, and not
invisible-watermark or OpenCV: the watermark is the library's dwtDctSvd method
computed with numpy (text2image/adapters/watermark.py), and OpenCV's headless wheel
alone would put the layer over Lambda's 250 MB. What the runtime never loads (the
C2PA library's Rust static archive, tests, caches, scripts) is removed.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from repo_paths import REPO_ROOT

LAYER_DIR = REPO_ROOT / "build" / "provenance-layer"
PACKAGES = ("c2pa-python", "numpy", "PyWavelets", "pillow", "toml")
# cdk/text2image_cdk/functions.py: RUNTIME and ARCHITECTURE.
PYTHON_VERSION = "3.14"
PLATFORMS = ("manylinux2014_x86_64", "manylinux_2_28_x86_64")
LAMBDA_UNZIPPED_LIMIT_MB = 250
UNUSED = ("*.rlib", "*.d", "__pycache__", "tests", "bin")


def size_mb(path: Path) -> float:
    return sum(item.stat().st_size for item in path.rglob("*") if item.is_file()) / 1_000_000


def build(target: Path = LAYER_DIR) -> Path:
    shutil.rmtree(target, ignore_errors=True)
    site = target / "python"
    platforms = [argument for platform in PLATFORMS for argument in ("--platform", platform)]
    subprocess.run(
        [
            sys.executable, "-m", "pip", "install", "--quiet", "--target", str(site),
            *platforms, "--implementation", "cp", "--python-version", PYTHON_VERSION,
            "--only-binary=:all:", "-c", str(REPO_ROOT / "requirements.lock"), *PACKAGES,
        ],
        check=True,
    )  # fmt: skip
    for pattern in UNUSED:
        for path in list(site.rglob(pattern)):
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
    return target


def zipped_mb(target: Path) -> float:
    archive = target.with_suffix(".zip")
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as bundle:
        for item in sorted(target.rglob("*")):
            if item.is_file():
                bundle.write(item, item.relative_to(target))
    size = archive.stat().st_size / 1_000_000
    archive.unlink()
    return size


def main() -> int:
    target = build()
    unzipped = size_mb(target)
    zipped = zipped_mb(target)
    print(f"wrote {target.relative_to(REPO_ROOT)}: {unzipped:.0f} MB unzipped, {zipped:.0f} MB zipped")
    if unzipped > LAMBDA_UNZIPPED_LIMIT_MB:
        print(f"over Lambda's {LAMBDA_UNZIPPED_LIMIT_MB} MB unzipped", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
