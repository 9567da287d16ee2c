"""Amazon Rekognition: RecognizeCelebrities, from Bytes or from an S3 object.

No model on this machine knows faces, let alone whose they are, and none could
offline: the stand-in recognises no one. It checks the image as Rekognition does
(format, size, sides) and answers the real shape, with `CelebrityFaces` empty
unless a `celebrity` fault (see admin.py) names who is "recognised" on the next
calls, and `UnrecognizedFaces` always empty.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from workflow.standins.rekognition import Rekognition


@dataclass(frozen=True)
class InjectedCelebrity:
    name: str
    match_confidence: float
    gender: str = "Unlisted"


def celebrity_id(name: str) -> str:
    """A stable id per name, in the shape of Rekognition's (8 alphanumerics)."""
    return hashlib.sha256(name.encode()).hexdigest()[:8]


def celebrity_face(celebrity: InjectedCelebrity) -> dict[str, Any]:
    """One `CelebrityFaces` entry as RecognizeCelebrities answers it, the face centred."""
    return {
        "Urls": [],
        "Name": celebrity.name,
        "Id": celebrity_id(celebrity.name),
        "Face": {
            "BoundingBox": {"Width": 0.25, "Height": 0.3, "Left": 0.375, "Top": 0.25},
            "Confidence": 99.9,
            "Landmarks": [],
            "Pose": {"Roll": 0.0, "Yaw": 0.0, "Pitch": 0.0},
            "Quality": {"Brightness": 75.0, "Sharpness": 80.0},
            "Emotions": [],
            "Smile": {"Value": False, "Confidence": 90.0},
        },
        "MatchConfidence": celebrity.match_confidence,
        "KnownGender": {"Type": celebrity.gender},
    }


class Celebrities:
    def __init__(self, rekognition: Rekognition) -> None:
        self._rekognition = rekognition

    def recognize_celebrities(
        self, request: dict[str, Any], injected: Sequence[InjectedCelebrity] = ()
    ) -> dict[str, Any]:
        self._rekognition.image(request)  # refused as Rekognition refuses it
        return {"CelebrityFaces": [celebrity_face(c) for c in injected], "UnrecognizedFaces": []}
