"""Deterministic test images: photographs shipped inside installed packages, and
gradients and noise made with numpy. Nothing is downloaded."""

from __future__ import annotations

import io
from pathlib import Path

import matplotlib
import numpy as np
import sklearn
from PIL import Image

PHOTOS = (
    Path(sklearn.__file__).parent / "datasets" / "images" / "china.jpg",
    Path(sklearn.__file__).parent / "datasets" / "images" / "flower.jpg",
    Path(matplotlib.__file__).parent / "mpl-data" / "sample_data" / "grace_hopper.jpg",
)


def png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def jpeg(image: Image.Image, quality: int = 80) -> bytes:
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def photo(index: int = 0, size: tuple[int, int] = (1024, 1024)) -> Image.Image:
    return Image.open(PHOTOS[index % len(PHOTOS)]).convert("RGB").resize(size, Image.Resampling.BICUBIC)


def unmarked_images(count: int, size: tuple[int, int] = (384, 256)) -> list[Image.Image]:
    """`count` varied images: crops of the photos, smooth gradients, and noise."""
    rng = np.random.default_rng(2024)
    width, height = size
    images: list[Image.Image] = []
    for index in range(count):
        kind = index % 3
        if kind == 0:
            source = Image.open(PHOTOS[index % len(PHOTOS)]).convert("RGB")
            left = int(rng.integers(0, max(1, source.width - width)))
            top = int(rng.integers(0, max(1, source.height - height)))
            image = source.crop((left, top, left + width, top + height)).resize(size)
        elif kind == 1:
            y, x = np.mgrid[0:height, 0:width].astype(np.float64)
            angles = rng.uniform(0, 2 * np.pi, 3)
            channels = [
                127.5 + 127.5 * np.sin((x * np.cos(a) + y * np.sin(a)) / rng.uniform(20, 200)) for a in angles
            ]
            image = Image.fromarray(np.stack(channels, axis=-1).astype(np.uint8))
        else:
            noise = rng.normal(128, rng.uniform(5, 60), (height, width, 3))
            image = Image.fromarray(np.clip(noise, 0, 255).astype(np.uint8))
        images.append(image)
    return images
