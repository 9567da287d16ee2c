"""Amazon Rekognition: DetectModerationLabels, from Bytes or from an S3 object."""

from __future__ import annotations

import base64
import binascii
import io
from typing import Any

from botocore.exceptions import ClientError

from workflow.standins.image_models import NsfwModel
from workflow.standins.wire import AwsError

MAX_BYTES = 5 * 1024 * 1024
MAX_S3_BYTES = 15 * 1024 * 1024
MIN_SIDE, MAX_SIDE = 80, 10_000
MODEL_VERSION = "7.0"
FLAGGED_SCORE = 0.99

_INVALID_FORMAT = AwsError("InvalidImageFormatException", "Request has invalid image format")


class Rekognition:
    def __init__(self, nsfw: NsfwModel, s3: Any) -> None:
        self.nsfw = nsfw
        self._s3 = s3

    def detect_moderation_labels(self, request: dict[str, Any], flagged: bool = False) -> dict[str, Any]:
        min_confidence = request.get("MinConfidence", 50)
        if not isinstance(min_confidence, int | float) or not 0 <= min_confidence <= 100:
            raise AwsError("InvalidParameterException", "MinConfidence must be a number between 0 and 100.")
        image = self._open(self._image_bytes(request.get("Image")))
        score = FLAGGED_SCORE if flagged else self.nsfw.score(image)
        confidence = round(score * 100, 3)
        labels = []
        if confidence >= min_confidence:
            labels = [
                {"Confidence": confidence, "Name": "Explicit", "ParentName": "", "TaxonomyLevel": 1},
                {
                    "Confidence": confidence,
                    "Name": "Explicit Nudity",
                    "ParentName": "Explicit",
                    "TaxonomyLevel": 2,
                },
            ]
        return {"ModerationLabels": labels, "ModerationModelVersion": MODEL_VERSION, "ContentTypes": []}

    def _image_bytes(self, image: Any) -> bytes:
        if not isinstance(image, dict) or len(image) != 1 or not ({"Bytes", "S3Object"} & image.keys()):
            raise AwsError("InvalidParameterException", "Image must hold exactly one of Bytes or S3Object.")
        if "Bytes" in image:
            try:
                data = base64.b64decode(image["Bytes"], validate=True)
            except (binascii.Error, TypeError, ValueError):
                raise AwsError("InvalidParameterException", "Image.Bytes is not valid base64.") from None
            if len(data) > MAX_BYTES:
                raise AwsError(
                    "ImageTooLargeException", f"Image size is too large: {len(data)} bytes > 5 MB."
                )
            return data
        return self._s3_object(image["S3Object"])

    def _s3_object(self, location: Any) -> bytes:
        if not isinstance(location, dict) or not location.get("Bucket") or not location.get("Name"):
            raise AwsError("InvalidParameterException", "Image.S3Object needs a Bucket and a Name.")
        extra = {"VersionId": location["Version"]} if location.get("Version") else {}
        try:
            head = self._s3.head_object(Bucket=location["Bucket"], Key=location["Name"], **extra)
            if head["ContentLength"] > MAX_S3_BYTES:
                raise AwsError(
                    "ImageTooLargeException",
                    f"Image size is too large: {head['ContentLength']} bytes > 15 MB.",
                )
            return self._s3.get_object(Bucket=location["Bucket"], Key=location["Name"], **extra)[
                "Body"
            ].read()
        except ClientError:
            raise AwsError(
                "InvalidS3ObjectException",
                "Unable to get object metadata from S3. Check object key, region and/or access permissions.",
            ) from None

    @staticmethod
    def _open(data: bytes) -> Any:
        from PIL import Image, UnidentifiedImageError

        if not (data.startswith(b"\x89PNG\r\n\x1a\n") or data.startswith(b"\xff\xd8\xff")):
            raise _INVALID_FORMAT
        try:
            image = Image.open(io.BytesIO(data))
            image.load()
        except (UnidentifiedImageError, OSError, SyntaxError):
            raise _INVALID_FORMAT from None
        width, height = image.size
        if not (MIN_SIDE <= width <= MAX_SIDE and MIN_SIDE <= height <= MAX_SIDE):
            raise AwsError(
                "InvalidParameterException",
                f"Image dimensions {width}x{height} are out of range: each side must be "
                f"between {MIN_SIDE} and {MAX_SIDE} pixels.",
            )
        return image
