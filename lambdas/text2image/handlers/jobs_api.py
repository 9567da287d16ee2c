"""POST /jobs and GET /jobs/{id}: asynchronous generation with live progress.

POST validates the body like /generate (plus a job's quality settings), claims
the Idempotency-Key by writing the job item under an id derived from the key
(one conditional put), counts the job in the bounded queue (429 past the depth)
and invokes RunJob asynchronously. GET reads the job item.
"""

from __future__ import annotations

import json
import time
from typing import Any

import boto3
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import BotoCoreError, ClientError

from text2image.adapters.errors import SERVICE_CLIENT_CONFIG
from text2image.adapters.jobs import JobTable
from text2image.config import JobsConfig
from text2image.contract import ConflictResponse, ErrorResponse, JobRequest, execution_input
from text2image.domain.idempotency import (
    IDEMPOTENCY_HEADER,
    KEY_REUSED_ERROR,
    KEY_REUSED_MESSAGE,
    key_problem,
    request_digest,
)
from text2image.domain.job_view import accepted_body, job_view, status_url
from text2image.domain.jobs import (
    JOB_LOST_AFTER_SECONDS,
    is_job_id,
    is_visible_to,
    new_job_id,
    queue_retry_after,
)
from text2image.domain.quota import caller_of
from text2image.handlers.api_answers import answer_bad_bodies_with_400, error_response
from text2image.observability import logger, observed_api_handler

JOBS_UNAVAILABLE_MESSAGE = "Jobs cannot be accepted right now. Try again shortly."

config = JobsConfig.from_env()
jobs = JobTable(boto3.client("dynamodb", config=SERVICE_CLIENT_CONFIG), config.jobs_table)
lambda_client = boto3.client("lambda", config=SERVICE_CLIENT_CONFIG)
app = APIGatewayRestResolver(strip_prefixes=["/api"])
answer_bad_bodies_with_400(app)


def json_response(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    return Response(
        status_code=status, content_type=content_types.APPLICATION_JSON, body=body, headers=headers
    )


def accept_job(
    body: dict[str, Any], key: str | None, collection_path: str, now: float, caller: str | None = None
) -> Response:
    """202 with the job (a new one, or the key's first one), 409, or 429."""
    JobRequest.model_validate(body)
    digest = request_digest(body)
    job_id = new_job_id(key, caller=caller)
    url = status_url(collection_path, job_id)
    accepted = json_response(202, accepted_body(job_id, url), {"Location": url})
    if key is not None:
        earlier = jobs.get(job_id)
        if earlier is not None:
            return accepted if earlier["digest"] == digest else _key_reused()
    if not jobs.enter_queue(job_id, config.queue_depth, now, stale_before=now - JOB_LOST_AFTER_SECONDS):
        retry_after = queue_retry_after(
            len(jobs.in_flight()), config.capacity, config.expected_generation_seconds
        )
        return error_response(
            429,
            "TooManyJobs",
            "Too many jobs are waiting. Try again after the time in Retry-After.",
            {"Retry-After": str(retry_after)},
        )
    # The job's runs count against its caller's quota, as a sync request's run does.
    if not jobs.create(job_id, execution_input(body, None, caller), digest, now):
        # The same key, at the same moment: the first writer's job is the one.
        earlier = jobs.get(job_id) or {}
        return accepted if earlier.get("digest") == digest else _key_reused()
    try:
        lambda_client.invoke(
            FunctionName=config.run_job_function,
            InvocationType="Event",
            Payload=json.dumps({"job_id": job_id}),
        )
    except (ClientError, BotoCoreError):
        # Never left QUEUED for ever: the job ends now, so a repeat of its key sees why.
        logger.exception("RunJob could not be invoked", extra={"job_id": job_id})
        unavailable = ErrorResponse(
            status="FAILED", error="JobsUnavailable", message=JOBS_UNAVAILABLE_MESSAGE
        )
        if jobs.claim(job_id, now):
            jobs.finish(job_id, 503, unavailable.model_dump(), now)
        jobs.leave_queue(job_id)
        return error_response(503, "JobsUnavailable", JOBS_UNAVAILABLE_MESSAGE)
    logger.info("job accepted", extra={"job_id": job_id})
    return accepted


def _key_reused() -> Response:
    # The same 409 body as POST /generate's.
    body = ConflictResponse(error=KEY_REUSED_ERROR, message=KEY_REUSED_MESSAGE)
    return json_response(409, body.model_dump(exclude_none=True))


@app.post("/jobs")
def submit_job() -> Response:
    body = app.current_event.json_body
    if not isinstance(body, dict):
        raise ValueError("the body must be a JSON object")
    key = app.current_event.headers.get(IDEMPOTENCY_HEADER)  # case-insensitive
    problem = None if key is None else key_problem(key)
    if problem:
        raise ValueError(problem)
    caller = caller_of(app.current_event.raw_event.get("requestContext") or {})
    return accept_job(body, key, app.current_event.request_context.path, time.time(), caller)


@app.get("/jobs/<job_id>")
def get_job(job_id: str) -> Response:
    item = jobs.get(job_id) if is_job_id(job_id) else None
    caller = caller_of(app.current_event.raw_event.get("requestContext") or {})
    if item is None or not is_visible_to(item, caller):
        return error_response(404, "JobNotFound", "There is no job with this id (jobs are kept 24 hours).")
    return json_response(200, job_view(item, app.current_event.request_context.path, time.time()))


@app.exception_handler([ClientError, BotoCoreError])
def jobs_unavailable(error: Exception) -> Response:
    logger.exception("jobs table or RunJob unavailable")
    return error_response(503, "JobsUnavailable", JOBS_UNAVAILABLE_MESSAGE)


@observed_api_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
