"""What `GET /jobs/{id}` shows of a job item, and what `POST /jobs` answers."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from text2image.contract import ErrorResponse, JobAccepted, JobView
from text2image.domain.jobs import JOB_LOST_AFTER_SECONDS, JobStage, JobStatus

LOST_JOB_MESSAGE = "The job stopped without an answer. Submit it again."


def status_url(collection_path: str, job_id: str) -> str:
    """`/jobs/<id>` under the path the caller used for the collection, stage included
    (`/prod/jobs` on the API's own URL, `/api/jobs` behind CloudFront)."""
    return f"{collection_path.rstrip('/')}/{job_id}"


def accepted_body(job_id: str, url: str) -> dict[str, Any]:
    return JobAccepted(job_id=job_id, status_url=url).model_dump()


def job_view(item: Mapping[str, Any], url: str, now: float) -> dict[str, Any]:
    """The job as a poller sees it: its stage (with the queue position while queued)
    and, once done, the HTTP status and body the sync route would have answered."""
    status = JobStatus(item["status"])
    stage = JobStage(item.get("stage", JobStage.QUEUED.value))
    view: dict[str, Any] = {"job_id": item["job_id"], "status": status.value, "stage": stage.value}
    if stage == JobStage.QUEUED and "position" in item:
        view["position"] = int(item["position"])
    view["status_url"] = url
    if status == JobStatus.DONE:
        view["http_status"] = int(item["http_status"])
        view["result"] = json.loads(item["result"])
    elif now - float(item.get("claimed_at", item.get("accepted_at", now))) > JOB_LOST_AFTER_SECONDS:
        # Its runner died or never came (the job machine's timeout has long passed): say so.
        view.update(status=JobStatus.DONE.value, stage=JobStage.DONE.value, http_status=504)
        view["result"] = ErrorResponse(
            status="TIMED_OUT", error="JobLost", message=LOST_JOB_MESSAGE
        ).model_dump()
    return JobView.model_validate(view).model_dump(exclude_none=True)
