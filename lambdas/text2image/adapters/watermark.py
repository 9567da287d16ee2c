"""The invisible watermark: `invisible-watermark`'s dwtDctSvd method.

It embeds the bits in the U channel's level-1 Haar DWT, 4x4 blocks at a time, by
quantising each block's largest DCT singular value; each bit is repeated over
thousands of blocks and read back by majority. numpy, OpenCV and PyWavelets load
on the first call, not at import: a cold start of a function that never marks
pays nothing for them.

The package's `__init__` imports its torch-based rivaGan method, and torch never
enters the Lambda; dwtDctSvd's own module needs only numpy, cv2 and pywt, so it
is loaded from the installed package's file without running that `__init__`.
"""

from __future__ import annotations

import importlib.util
import threading
from pathlib import Path
from types import ModuleType
from typing import Any

from text2image.domain.provenance import PAYLOAD_BITS

METHOD_MODULE = "dwtDctSvd.py"
# The library's defaults for dwtDctSvd: the U channel only, quantisation step 36.
SCALES = (0, 36, 0)
BLOCK = 4
# The library refuses images under 256x256.
MIN_PIXELS = 256 * 256

_lock = threading.Lock()
_method: ModuleType | None = None


class ImageNotReadable(ValueError):
    """The bytes are not an image OpenCV can decode."""


def _dwt_dct_svd() -> ModuleType:
    global _method
    with _lock:
        if _method is None:
            package = importlib.util.find_spec("imwatermark")
            if package is None or package.origin is None:
                raise ImportError("invisible-watermark is not installed")
            path = Path(package.origin).parent / METHOD_MODULE
            spec = importlib.util.spec_from_file_location("imwatermark_dwtdctsvd", path)
            if spec is None or spec.loader is None:
                raise ImportError(f"cannot load {path}")
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            _method = module
    return _method


def decode_image(data: bytes) -> Any:
    """The image as OpenCV's BGR array."""
    import cv2
    import numpy as np

    image = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        raise ImageNotReadable("the bytes are not a PNG or JPEG image")
    return image


def encode_image(image: Any, content_type: str) -> bytes:
    import cv2

    if content_type == "image/jpeg":
        ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 95])
    else:
        ok, encoded = cv2.imencode(".png", image)
    if not ok:
        raise ImageNotReadable(f"the image could not be encoded as {content_type}")
    return encoded.tobytes()


def _dct_matrix(size: int) -> Any:
    """The orthonormal DCT-II matrix: D @ X @ D.T is cv2.dct(X) for a size x size block."""
    import numpy as np

    k = np.arange(size)[:, None]
    n = np.arange(size)[None, :]
    matrix = np.sqrt(2.0 / size) * np.cos(np.pi * (2 * n + 1) * k / (2 * size))
    matrix[0] /= np.sqrt(2.0)
    return matrix


def _blocks(frame: Any) -> tuple[Any, int, int]:
    """The frame's BLOCK x BLOCK blocks in the library's order (row by row), as one array."""
    rows, cols = frame.shape[0] // BLOCK, frame.shape[1] // BLOCK
    trimmed = frame[: rows * BLOCK, : cols * BLOCK]
    blocks = trimmed.reshape(rows, BLOCK, cols, BLOCK).swapaxes(1, 2).reshape(-1, BLOCK, BLOCK)
    return blocks, rows, cols


def embed(image: Any, bits: list[int]) -> Any:
    """The image with `bits` embedded (a new array; the input is left as it was).

    This is invisible-watermark's dwtDctSvd embedding, computed on all blocks at once:
    the library's `encode_frame` loops over the 16,384 blocks of a 1024x1024 image in
    Python (0.35 s on an idle core, about 0.9 s on a busy one). The result is read by
    the library's own decoder (a test holds the two together). Besides, the library's
    `encode` puts the detail bands back swapped and wraps the channel around in uint8,
    which costs 3 to 8 dB of PSNR; here the channel is rebuilt with its bands in place,
    rounded and clipped.
    """
    import cv2
    import numpy as np
    import pywt

    height, width = image.shape[:2]
    if width * height < MIN_PIXELS:
        raise ImageNotReadable("the image is smaller than 256x256, too small to watermark")
    dct = _dct_matrix(BLOCK)
    yuv = cv2.cvtColor(image, cv2.COLOR_BGR2YUV)
    rows, cols = height // 4 * 4, width // 4 * 4
    for channel, scale in enumerate(SCALES):
        if scale <= 0:
            continue
        approximation, details = pywt.dwt2(yuv[:rows, :cols, channel].astype(np.float64), "haar")
        blocks, block_rows, block_cols = _blocks(approximation)
        wanted = np.resize(np.asarray(bits, dtype=np.float64), len(blocks))
        u, singular, vt = np.linalg.svd(dct @ blocks @ dct.T)
        singular[:, 0] = (singular[:, 0] // scale + 0.25 + 0.5 * wanted) * scale
        changed = dct.T @ (u @ (singular[:, :, None] * vt)) @ dct
        approximation[: block_rows * BLOCK, : block_cols * BLOCK] = (
            changed.reshape(block_rows, block_cols, BLOCK, BLOCK)
            .swapaxes(1, 2)
            .reshape(block_rows * BLOCK, block_cols * BLOCK)
        )
        rebuilt = pywt.idwt2((approximation, details), "haar")
        yuv[:rows, :cols, channel] = np.clip(np.rint(rebuilt), 0, 255).astype(np.uint8)
    return cv2.cvtColor(yuv, cv2.COLOR_YUV2BGR)


def extract(image: Any, length: int = PAYLOAD_BITS) -> list[int]:
    """The bits read from the image at its own size: the library's dwtDctSvd decoding
    (each block votes by its largest singular value's position in the quantisation
    step; each bit is the majority of its blocks), on all blocks at once."""
    import cv2
    import numpy as np
    import pywt

    dct = _dct_matrix(BLOCK)
    yuv = cv2.cvtColor(image, cv2.COLOR_BGR2YUV)
    height, width = image.shape[:2]
    rows, cols = height // 4 * 4, width // 4 * 4
    votes = np.zeros(length)
    counts = np.zeros(length)
    for channel, scale in enumerate(SCALES):
        if scale <= 0:
            continue
        approximation, _ = pywt.dwt2(yuv[:rows, :cols, channel].astype(np.float64), "haar")
        blocks, _, _ = _blocks(approximation)
        singular = np.linalg.svd(dct @ blocks @ dct.T, compute_uv=False)[:, 0]
        scores = ((singular % scale) > scale * 0.5).astype(np.float64)
        index = np.arange(len(blocks)) % length
        votes += np.bincount(index, weights=scores, minlength=length)
        counts += np.bincount(index, minlength=length)
    return [int(bit) for bit in (votes / np.maximum(counts, 1) * 255 > 127)]


def extract_with_library(image: Any, length: int = PAYLOAD_BITS) -> list[int]:
    """The library's own decoder, block by block (slow): the reference `extract` agrees with."""
    decoder = _dwt_dct_svd().EmbedDwtDctSvd([], length, list(SCALES), BLOCK)
    return [int(bit) for bit in decoder.decode(image)]


def embed_with_library(image: Any, bits: list[int]) -> Any:
    """The library's own encoder (slow, and lossy as `embed` says): the reference for tests."""
    encoder = _dwt_dct_svd().EmbedDwtDctSvd(list(bits), len(bits), list(SCALES), BLOCK)
    return encoder.encode(image.copy())


def resized(image: Any, width: int, height: int) -> Any:
    import cv2

    if (image.shape[1], image.shape[0]) == (width, height):
        return image
    return cv2.resize(image, (width, height), interpolation=cv2.INTER_CUBIC)


def psnr(original: Any, changed: Any) -> float:
    """Peak signal-to-noise ratio in dB (infinite for identical images)."""
    import numpy as np

    error = np.mean((original.astype(np.float64) - changed.astype(np.float64)) ** 2)
    return float("inf") if error == 0 else float(10 * np.log10(255.0**2 / error))
