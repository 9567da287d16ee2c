"""Amazon Bedrock Runtime: ApplyGuardrail, answered by the local models.

The guardrail it stands in for is the one the stack creates: the content filters
and strengths of `text2image.domain.guardrail.FILTER_STRENGTHS`. Its judgement is
real, made by the stand-ins' own models, not Bedrock's:

- a text block is scored by the toxicity stand-in (the Comprehend labels, mapped to
  the guardrail's filter types by `TEXT_FILTERS`);
- an image block by the Rekognition stand-in's models (model-7 labels, mapped by
  `IMAGE_FILTERS`): NudeNet and Open-NSFW see nudity only, so locally only SEXUAL
  is ever found on an image.

A score becomes Bedrock's confidence by `confidence_of`, and a filter blocks as
Bedrock's do (`strength_blocks`). PROMPT_ATTACK and MISCONDUCT have no local model:
they are never detected, only injected with an `intervene` fault.
"""

from __future__ import annotations

import base64
import binascii
import io
from collections.abc import Mapping
from typing import Any

from text2image.domain.guardrail import FILTER_STRENGTHS, strength_blocks
from workflow.standins.rekognition import Rekognition
from workflow.standins.text_models import ToxicityModel
from workflow.standins.wire import AwsError

MAX_IMAGE_BYTES = 4 * 1024 * 1024
MAX_IMAGE_SIDE = 8000
MAX_IMAGES = 20

# Comprehend toxicity label -> guardrail filter type.
TEXT_FILTERS: Mapping[str, str] = {
    "SEXUAL": "SEXUAL",
    "VIOLENCE_OR_THREAT": "VIOLENCE",
    "GRAPHIC": "VIOLENCE",
    "HATE_SPEECH": "HATE",
    "INSULT": "INSULTS",
    "HARASSMENT_OR_ABUSE": "INSULTS",
}
# Rekognition model-7 label the local models find -> guardrail filter type.
IMAGE_FILTERS: Mapping[str, str] = {
    "Explicit Nudity": "SEXUAL",
    "Exposed Female Genitalia": "SEXUAL",
    "Exposed Male Genitalia": "SEXUAL",
    "Exposed Buttocks or Anus": "SEXUAL",
    "Exposed Female Nipple": "SEXUAL",
}


def confidence_of(score: float) -> str:
    """A 0..1 score as Bedrock's confidence: NONE below 0.5 (where the service's own checks
    stop reporting: Rekognition's MinConfidence 50, Comprehend's threshold 0.5), then LOW
    up to 0.7, MEDIUM up to 0.85, HIGH above. Open-NSFW scores a plain gradient about 0.3:
    read as LOW, a HIGH-strength filter would refuse it."""
    if score < 0.5:
        return "NONE"
    if score < 0.7:
        return "LOW"
    if score < 0.85:
        return "MEDIUM"
    return "HIGH"


class GuardrailStandIn:
    def __init__(self, toxicity: ToxicityModel, rekognition: Rekognition) -> None:
        self._toxicity = toxicity
        self._rekognition = rekognition

    def apply_guardrail(self, request: dict[str, Any], injected: str | None = None) -> dict[str, Any]:
        """`injected`: a filter type reported as found at HIGH confidence, as if the models had."""
        source = request.get("source")
        if source not in ("INPUT", "OUTPUT"):
            raise AwsError("ValidationException", "source must be INPUT or OUTPUT.")
        content = request.get("content")
        if not isinstance(content, list) or not content:
            raise AwsError("ValidationException", "content must hold at least one block.")
        texts = [block["text"]["text"] for block in content if isinstance(block.get("text"), dict)]
        images = [self._image(block["image"]) for block in content if isinstance(block.get("image"), dict)]
        if len(images) > MAX_IMAGES:
            raise AwsError("ValidationException", f"At most {MAX_IMAGES} images a request.")
        found: dict[str, float] = {}
        for scores in self._toxicity.score(texts) if texts else []:
            for label, score in scores.labels.items():
                if label in TEXT_FILTERS:
                    found[TEXT_FILTERS[label]] = max(found.get(TEXT_FILTERS[label], 0.0), score)
        for image in images:
            for label, confidence in self._rekognition.evidence(image).items():
                if label in IMAGE_FILTERS:
                    found[IMAGE_FILTERS[label]] = max(found.get(IMAGE_FILTERS[label], 0.0), confidence / 100)
        if injected:
            found[injected] = 1.0
        strength_index = 0 if source == "INPUT" else 1
        filters = []
        for filter_type, score in sorted(found.items()):
            strength = FILTER_STRENGTHS[filter_type][strength_index]
            confidence = confidence_of(score)
            if confidence == "NONE" or strength == "NONE":
                continue
            blocked = strength_blocks(confidence, strength)
            filters.append(
                {
                    "type": filter_type,
                    "confidence": confidence,
                    "filterStrength": strength,
                    "action": "BLOCKED" if blocked else "NONE",
                    "detected": blocked,
                }
            )
        intervened = any(item["action"] == "BLOCKED" for item in filters)
        characters = sum(len(text) for text in texts)
        return {
            "usage": {
                "topicPolicyUnits": 0,
                "contentPolicyUnits": -(-characters // 1000) if texts else 0,
                "wordPolicyUnits": 0,
                "sensitiveInformationPolicyUnits": 0,
                "sensitiveInformationPolicyFreeUnits": 0,
                "contextualGroundingPolicyUnits": 0,
                "contentPolicyImageUnits": len(images),
            },
            "action": "GUARDRAIL_INTERVENED" if intervened else "NONE",
            "outputs": [{"text": "Sorry, the model cannot answer this request."}] if intervened else [],
            "assessments": [{"contentPolicy": {"filters": filters}}] if filters else [],
            "guardrailCoverage": {
                "textCharacters": {"guarded": characters, "total": characters},
                "images": {"guarded": len(images), "total": len(images)},
            },
        }

    def _image(self, block: dict[str, Any]) -> Any:
        from PIL import Image, UnidentifiedImageError

        if block.get("format") not in ("png", "jpeg"):
            raise AwsError("ValidationException", "image format must be png or jpeg.")
        try:
            data = base64.b64decode((block.get("source") or {}).get("bytes", ""), validate=True)
        except (binascii.Error, TypeError, ValueError):
            raise AwsError("ValidationException", "image bytes are not valid base64.") from None
        if len(data) > MAX_IMAGE_BYTES:
            raise AwsError("ValidationException", f"image is {len(data)} bytes; at most 4 MB.")
        try:
            image = Image.open(io.BytesIO(data))
            image.load()
        except (UnidentifiedImageError, OSError, SyntaxError):
            raise AwsError("ValidationException", "image could not be read as PNG or JPEG.") from None
        if max(image.size) > MAX_IMAGE_SIDE:
            raise AwsError("ValidationException", f"image is {image.size}; at most 8000x8000.")
        return image
