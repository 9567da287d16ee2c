"""invisible-watermark's own dwtDctSvd encoder and decoder, the reference the
vectorised watermark (text2image.adapters.watermark) is held to.

The package's `__init__` imports its torch-based rivaGan method; dwtDctSvd's module
needs only numpy, OpenCV and PyWavelets, so it is loaded from the installed file.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

from text2image.adapters.watermark import BLOCK, SCALES


def library_method() -> ModuleType:
    package = importlib.util.find_spec("imwatermark")
    assert package is not None and package.origin is not None, "invisible-watermark is not installed"
    spec = importlib.util.spec_from_file_location(
        "imwatermark_dwtdctsvd", Path(package.origin).parent / "dwtDctSvd.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def library_embed(rgb: Any, bits: list[int]) -> Any:
    encoder = library_method().EmbedDwtDctSvd(list(bits), len(bits), list(SCALES), BLOCK)
    return encoder.encode(rgb[:, :, ::-1].copy())[:, :, ::-1].copy()


def library_extract(rgb: Any, length: int) -> list[int]:
    decoder = library_method().EmbedDwtDctSvd([], length, list(SCALES), BLOCK)
    return [int(bit) for bit in decoder.decode(rgb[:, :, ::-1].copy())]
