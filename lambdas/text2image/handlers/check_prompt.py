"""CheckPromptToxicity: validate the request, then check its language and toxicity."""

from __future__ import annotations

from typing import Any

import boto3
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from text2image.adapters.comprehend import ComprehendTextAnalyzer
from text2image.adapters.entities import ComprehendPeopleFinder
from text2image.adapters.errors import SERVICE_CLIENT_CONFIG
from text2image.adapters.translate import AmazonTranslator
from text2image.config import PromptCheckConfig
from text2image.contract import JobRequest, Label, Stage, request_of
from text2image.domain.jobs import JobStage
from text2image.domain.prompts import TooManySegments
from text2image.domain.verdicts import blocking_labels
from text2image.errors import InvalidRequest
from text2image.handlers.common import describe, parse_step
from text2image.job_progress import JobProgress
from text2image.models import PromptCheckInput, PromptCheckOutput
from text2image.observability import count_rejection, metrics, observed_handler
from text2image.prompt_check import check_prompt

config = PromptCheckConfig.from_env()
progress = JobProgress(config.jobs_table)
comprehend = boto3.client("comprehend", config=SERVICE_CLIENT_CONFIG)
analyzer = ComprehendTextAnalyzer(comprehend)
# With people allowed, nothing looks for them.
people_finder = (
    ComprehendPeopleFinder(comprehend, config.person_min_score) if config.people != "allow" else None
)
# No Translate client at all when translation is off: nothing can call it.
translator = (
    AmazonTranslator(boto3.client("translate", config=SERVICE_CLIENT_CONFIG))
    if config.translate_prompts
    else None
)


@observed_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    step = parse_step(PromptCheckInput, event)
    progress.report(step.execution_name, JobStage.CHECKING_PROMPT)
    try:
        request = JobRequest.model_validate(request_of(step.request))
    except ValidationError as error:
        raise InvalidRequest(f"Invalid request: {describe(error)}") from None
    try:
        verdict = check_prompt(request, analyzer, config, translator, people_finder)
    except TooManySegments as error:
        raise InvalidRequest(f"Invalid request: {error}") from None

    metrics.add_metric(name="PromptsChecked", unit=MetricUnit.Count, value=1)
    if verdict.translated_prompt is not None or verdict.translated_negative_prompt is not None:
        metrics.add_metric(name="PromptsTranslated", unit=MetricUnit.Count, value=1)
    if not verdict.safe:
        blocking = blocking_labels(verdict.labels, config.toxicity_threshold, config.label_thresholds)
        if verdict.rule:  # a policy refusal is counted under its rule
            blocking = [Label(name=verdict.rule, score=1.0)]
        count_rejection(Stage.PROMPT, blocking, verdict.reason_code)
    return PromptCheckOutput(request=request, prompt_check=verdict).model_dump(mode="json")
