"""Amazon Rekognition content moderation of a staged S3 object."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from text2image.adapters.errors import translate
from text2image.domain.verdicts import ModerationLabel
from text2image.errors import ImageNotModeratable, RekognitionThrottled, RekognitionUnavailable


class RekognitionModerator:
    def __init__(self, client: Any) -> None:
        self._client = client

    def detect(self, bucket: str, key: str, min_confidence: float) -> tuple[list[ModerationLabel], str]:
        """The moderation labels of an S3 object, and the model version that found them."""
        try:
            response = self._client.detect_moderation_labels(
                Image={"S3Object": {"Bucket": bucket, "Name": key}}, MinConfidence=min_confidence
            )
        except (ClientError, BotoCoreError) as error:
            raise translate(
                error,
                throttled=RekognitionThrottled,
                unavailable=RekognitionUnavailable,
                permanent=ImageNotModeratable,
                message="The image could not be moderated",
            ) from None
        labels = [
            ModerationLabel(
                name=item["Name"], confidence=float(item["Confidence"]), parent=item.get("ParentName", "")
            )
            for item in response.get("ModerationLabels", [])
        ]
        return labels, response.get("ModerationModelVersion", "")
