"""Amazon Rekognition: DetectModerationLabels, from Bytes or from an S3 object.

Open-NSFW's score is evidence for Explicit Nudity; each NudeNet class for the
model-7 label `NUDENET_LABELS` gives it. Labels injected through the admin
routes are added to what the models find.
"""

from __future__ import annotations

import base64
import binascii
import io
from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError

from workflow.standins.image_models import NsfwModel, NudityDetector
from workflow.standins.moderation_taxonomy import NUDENET_LABELS, moderation_labels
from workflow.standins.wire import AwsError

MAX_BYTES = 5 * 1024 * 1024
MAX_S3_BYTES = 15 * 1024 * 1024
MIN_SIDE, MAX_SIDE = 80, 10_000
MODEL_VERSION = "7.0"

_INVALID_FORMAT = AwsError("InvalidImageFormatException", "Request has invalid image format")


class Rekognition:
    def __init__(self, nsfw: NsfwModel, nudity: NudityDetector, s3: Any) -> None:
        self.nsfw = nsfw
        self.nudity = nudity
        self._s3 = s3

    def detect_moderation_labels(
        self, request: dict[str, Any], injected: Mapping[str, float] | None = None
    ) -> dict[str, Any]:
        """`injected`: model-7 labels and confidences (0..100) to report as if found."""
        min_confidence = request.get("MinConfidence", 50)
        if not isinstance(min_confidence, int | float) or not 0 <= min_confidence <= 100:
            raise AwsError("InvalidParameterException", "MinConfidence must be a number between 0 and 100.")
        image = self.image(request)
        evidence = self.evidence(image)
        for name, confidence in (injected or {}).items():
            evidence[name] = max(evidence.get(name, 0.0), confidence)
        return {
            "ModerationLabels": moderation_labels(evidence, min_confidence),
            "ModerationModelVersion": MODEL_VERSION,
            "ContentTypes": [],
        }

    def image(self, request: dict[str, Any]) -> Any:
        """The request's `Image` (Bytes or S3Object) opened and checked as Rekognition checks it."""
        return self._open(self._image_bytes(request.get("Image")))

    def evidence(self, image: Any) -> dict[str, float]:
        """What the local models see in an image: model-7 labels, confidence 0..100."""
        found = {"Explicit Nudity": self.nsfw.score(image) * 100}
        for part, score in self.nudity.detect(image).items():
            if part in NUDENET_LABELS:
                label = NUDENET_LABELS[part]
                found[label] = max(found.get(label, 0.0), score * 100)
        return found

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
