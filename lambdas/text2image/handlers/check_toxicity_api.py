"""POST /check-toxicity: the prompt check alone, for the page's "Check prompt" button."""

from __future__ import annotations

from typing import Any

import boto3
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.utilities.typing import LambdaContext

from text2image.adapters.comprehend import ComprehendTextAnalyzer
from text2image.adapters.entities import ComprehendPeopleFinder
from text2image.adapters.errors import SERVICE_CLIENT_CONFIG
from text2image.adapters.translate import AmazonTranslator
from text2image.config import PromptCheckConfig
from text2image.contract import CheckToxicityRequest
from text2image.errors import ComprehendThrottled, ComprehendUnavailable, WorkflowError
from text2image.handlers.api_answers import answer_bad_bodies_with_400, error_response
from text2image.observability import logger, observed_api_handler, traced
from text2image.prompt_check import check_prompt

config = PromptCheckConfig.from_env()
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
# Behind CloudFront the API is reached under /api.
app = APIGatewayRestResolver(strip_prefixes=["/api"])


answer_bad_bodies_with_400(app)


@app.post("/check-toxicity")
@traced
def check_toxicity() -> dict[str, Any]:
    # The body's JSON is parsed here, not by the resolver, so a body that is not
    # JSON is a ValueError answered 400 like any other invalid body.
    request = CheckToxicityRequest.model_validate(app.current_event.json_body or {})
    return check_prompt(request, analyzer, config, translator, people_finder).model_dump(mode="json")


@app.exception_handler([ComprehendThrottled, ComprehendUnavailable])
def checker_busy(error: WorkflowError) -> Response:
    return error_response(503, "PromptCheckUnavailable", "The prompt checker is busy. Try again in a moment.")


@app.exception_handler(WorkflowError)
def check_failed(error: WorkflowError) -> Response:
    logger.exception("prompt check failed")
    return error_response(502, "PromptCheckFailed", "The prompt could not be checked. Try again later.")


@observed_api_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
