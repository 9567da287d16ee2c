"""POST /check-toxicity: the prompt check alone, for the page's "Check prompt" button."""

from __future__ import annotations

from typing import Any

import boto3
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from text2image.adapters.comprehend import ComprehendTextAnalyzer
from text2image.adapters.errors import SERVICE_CLIENT_CONFIG
from text2image.adapters.translate import AmazonTranslator
from text2image.config import PromptCheckConfig
from text2image.contract import CheckToxicityRequest
from text2image.domain.prompts import TooManySegments
from text2image.errors import ComprehendThrottled, ComprehendUnavailable, WorkflowError
from text2image.handlers.common import describe
from text2image.observability import logger, metrics, tracer
from text2image.prompt_check import check_prompt

config = PromptCheckConfig.from_env()
analyzer = ComprehendTextAnalyzer(boto3.client("comprehend", config=SERVICE_CLIENT_CONFIG))
# No Translate client at all when translation is off: nothing can call it.
translator = (
    AmazonTranslator(boto3.client("translate", config=SERVICE_CLIENT_CONFIG))
    if config.translate_prompts
    else None
)
# Behind CloudFront the API is reached under /api.
app = APIGatewayRestResolver(strip_prefixes=["/api"])


def _error(status: int, error: str, message: str) -> Response:
    return Response(
        status_code=status,
        content_type=content_types.APPLICATION_JSON,
        body={"status": "FAILED", "error": error, "message": message},
    )


@app.post("/check-toxicity")
@tracer.capture_method
def check_toxicity() -> Response | dict[str, Any]:
    try:
        request = CheckToxicityRequest.model_validate(app.current_event.json_body or {})
        verdict = check_prompt(request, analyzer, config, translator)
    except ValidationError as error:
        return _error(400, "InvalidRequest", f"Invalid request: {describe(error)}")
    except (ValueError, TooManySegments) as error:
        return _error(400, "InvalidRequest", f"Invalid request: {error}")
    except (ComprehendThrottled, ComprehendUnavailable):
        return _error(503, "PromptCheckUnavailable", "The prompt checker is busy. Try again in a moment.")
    except WorkflowError:
        logger.exception("prompt check failed")
        return _error(502, "PromptCheckFailed", "The prompt could not be checked. Try again later.")
    return verdict.model_dump(mode="json")


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
