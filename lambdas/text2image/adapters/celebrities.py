"""Amazon Rekognition celebrity recognition of a staged S3 object."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from text2image.adapters.errors import translate
from text2image.domain.celebrities import Celebrity
from text2image.errors import ImageNotModeratable, RekognitionThrottled, RekognitionUnavailable


class RekognitionCelebrities:
    def __init__(self, client: Any) -> None:
        self._client = client

    def recognize(self, bucket: str, key: str) -> tuple[list[Celebrity], int]:
        """The celebrities Rekognition recognises on an S3 object, and how many faces it did not."""
        try:
            response = self._client.recognize_celebrities(Image={"S3Object": {"Bucket": bucket, "Name": key}})
        except (ClientError, BotoCoreError) as error:
            raise translate(
                error,
                throttled=RekognitionThrottled,
                unavailable=RekognitionUnavailable,
                permanent=ImageNotModeratable,
                message="The image could not be checked for real people",
            ) from None
        celebrities = [
            Celebrity(
                name=str(face.get("Name", "")),
                id=str(face.get("Id", "")),
                match_confidence=float(face.get("MatchConfidence", 0.0)),
            )
            for face in response.get("CelebrityFaces", [])
        ]
        return celebrities, len(response.get("UnrecognizedFaces", []))
