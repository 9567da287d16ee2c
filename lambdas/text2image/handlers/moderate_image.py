"""ModerateImage: Rekognition content moderation of the staged image."""

from __future__ import annotations

from typing import Any

import boto3
from aws_lambda_powertools.utilities.typing import LambdaContext

from text2image.adapters.errors import SERVICE_CLIENT_CONFIG
from text2image.adapters.rekognition import RekognitionModerator
from text2image.config import ModerationConfig
from text2image.contract import Stage
from text2image.domain.jobs import JobStage
from text2image.domain.verdicts import moderation_verdict
from text2image.handlers.common import parse_step
from text2image.job_progress import JobProgress
from text2image.models import ImageCheck, ModerateInput
from text2image.observability import count_rejection, observed_handler

config = ModerationConfig.from_env()
progress = JobProgress(config.jobs_table)
moderator = RekognitionModerator(boto3.client("rekognition", config=SERVICE_CLIENT_CONFIG))


@observed_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    step = parse_step(ModerateInput, event)
    progress.report(step.execution_name, JobStage.MODERATING)
    detected, model_version = moderator.detect(config.bucket, step.staged_key, config.min_confidence)
    verdict = moderation_verdict(detected, config.blocked_categories, config.min_confidence)
    if verdict.safe:
        return ImageCheck(safe=True, labels=verdict.labels, model_version=model_version).model_dump(
            mode="json"
        )

    count_rejection(Stage.IMAGE, verdict.blocking, "UNSAFE_IMAGE")
    names = ", ".join(f"{label.name} ({label.score * 100:.0f}%)" for label in verdict.blocking)
    return ImageCheck(
        safe=False,
        reason_code="UNSAFE_IMAGE",
        reason=f"The generated image was flagged by content moderation: {names}.",
        labels=verdict.labels,
        model_version=model_version,
    ).model_dump(mode="json")
