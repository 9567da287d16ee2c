"""RecognizeCelebrities: the people rule on the generated image, before it is published.

Rekognition `RecognizeCelebrities` on the staged S3 object; the `people` setting
decides (see domain.celebrities). The answer is the image's verdict, moderation's
labels kept, so a refusal takes the same discard path as a flagged image.
"""

from __future__ import annotations

from typing import Any

import boto3
from aws_lambda_powertools.utilities.typing import LambdaContext

from text2image.adapters.celebrities import RekognitionCelebrities
from text2image.adapters.errors import SERVICE_CLIENT_CONFIG
from text2image.config import CelebrityConfig
from text2image.contract import Label, Stage
from text2image.domain.celebrities import (
    celebrity_verdict,
    harmful_image_labels,
    needs_celebrity_check,
    recognised,
)
from text2image.domain.policy import harmful_words, load_policy
from text2image.handlers.common import parse_step
from text2image.models import RecognisedCelebrity, RecognizeCelebritiesInput
from text2image.observability import count_rejection, logger, observed_handler

config = CelebrityConfig.from_env()
recognizer = RekognitionCelebrities(boto3.client("rekognition", config=SERVICE_CLIENT_CONFIG))


@observed_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    step = parse_step(RecognizeCelebritiesInput, event)
    moderation = step.image_check
    policy = load_policy()
    words = harmful_words(policy, [step.request.prompt, step.checked_prompts.prompt])
    labels = harmful_image_labels(moderation.labels)
    if not needs_celebrity_check(config.people, words, labels):
        return moderation.model_copy(update={"celebrities_checked": False}).model_dump(mode="json")

    found, unrecognized = recognizer.recognize(config.bucket, step.staged_key)
    people = recognised(found, config.min_confidence)
    logger.info(
        "celebrities",
        extra={
            "recognised": [c.name for c in people],
            "below_confidence": len(found) - len(people),
            "unrecognized_faces": unrecognized,
        },
    )
    checked = moderation.model_copy(
        update={
            "celebrities_checked": True,
            "celebrities": [
                RecognisedCelebrity(name=c.name, id=c.id, match_confidence=round(c.match_confidence, 2))
                for c in people
            ],
        }
    )
    hit = celebrity_verdict(config.people, people, words, labels)
    if hit is None:
        return checked.model_dump(mode="json")

    count_rejection(Stage.IMAGE, [Label(name=hit.rule, score=1.0)], "REAL_PERSON")
    confidences = {c.name: c.match_confidence for c in people}
    named = ", ".join(
        f"'{word}' ({confidences[word]:.0f}% match)" if word in confidences else f"'{word}'"
        for word in hit.words
    )
    return checked.model_copy(
        update={
            "safe": False,
            "reason_code": "REAL_PERSON",
            "reason": f"The generated image breaks the image policy's rule {hit.rule} ({hit.says}) "
            f"on {named}.",
            "rule": hit.rule,
            "matched": list(hit.words),
            "policy_version": policy.version,
        }
    ).model_dump(mode="json")
