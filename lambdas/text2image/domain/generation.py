"""The JumpStart SDXL request, and checking that its answer is the image asked for."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any, Literal

from text2image.config import GenerationConfig
from text2image.contract import GenerateRequest, JobRequest

ImageFormat = Literal["png", "jpeg"]
CONTENT_TYPES: dict[ImageFormat, str] = {"png": "image/png", "jpeg": "image/jpeg"}


def build_payload(request: GenerateRequest, seed: int, config: GenerationConfig) -> dict[str, Any]:
    """The JumpStart SDXL 1.0 payload: a negative prompt is a prompt with a negative weight.
    A job's own quality settings replace the configured ones."""
    if not isinstance(request, JobRequest):
        request = JobRequest.model_validate(request.model_dump())
    steps = request.steps if request.steps is not None else config.steps
    use_refiner = request.use_refiner if request.use_refiner is not None else config.use_refiner
    text_prompts = [{"text": request.prompt, "weight": 1.0}]
    if request.negative_prompt.strip():
        text_prompts.append({"text": request.negative_prompt, "weight": -1.0})
    payload: dict[str, Any] = {
        "text_prompts": text_prompts,
        "width": request.width,
        "height": request.height,
        "cfg_scale": config.cfg_scale,
        "steps": steps,
        "seed": seed,
        "sampler": config.sampler,
        "use_refiner": use_refiner,
    }
    if use_refiner:
        payload["refiner_steps"] = (
            request.refiner_steps if request.refiner_steps is not None else config.refiner_steps
        )
        payload["refiner_strength"] = (
            request.refiner_strength if request.refiner_strength is not None else config.refiner_strength
        )
    return payload


@dataclass(frozen=True)
class ImageInfo:
    format: ImageFormat
    width: int
    height: int

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.format]


class NotAnImage(ValueError):
    pass


_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# JPEG start-of-frame markers that carry the dimensions (not DHT, JPG or DAC).
_JPEG_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def image_info(data: bytes) -> ImageInfo:
    """Read format and size from the header, without an imaging library in the Lambda asset."""
    if data.startswith(_PNG_SIGNATURE) and len(data) >= 24 and data[12:16] == b"IHDR":
        width, height = struct.unpack(">II", data[16:24])
        return ImageInfo("png", width, height)
    if data.startswith(b"\xff\xd8"):
        return _jpeg_info(data)
    raise NotAnImage("the data is neither a PNG nor a JPEG image")


def _jpeg_info(data: bytes) -> ImageInfo:
    index = 2
    while index + 9 <= len(data):
        if data[index] != 0xFF:
            raise NotAnImage("the JPEG data is corrupt")
        marker = data[index + 1]
        if marker == 0xFF:
            index += 1
            continue
        (length,) = struct.unpack(">H", data[index + 2 : index + 4])
        if marker in _JPEG_SOF:
            height, width = struct.unpack(">HH", data[index + 5 : index + 9])
            return ImageInfo("jpeg", width, height)
        index += 2 + length
    raise NotAnImage("the JPEG data has no frame header")


def check_image(data: bytes, width: int, height: int) -> ImageInfo:
    """The image the endpoint returned, if it has the requested size."""
    info = image_info(data)
    if (info.width, info.height) != (width, height):
        raise NotAnImage(f"the image is {info.width}x{info.height}, not the requested {width}x{height}")
    return info
