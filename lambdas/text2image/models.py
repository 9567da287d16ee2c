"""Pydantic models of each state's input and output: the state data contract."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from text2image.contract import GenerateRequest, Label


class _Step(BaseModel):
    model_config = ConfigDict(extra="ignore")


class PromptCheckInput(_Step):
    # Raw: validating it is this step's job, and a bad request is an answer.
    request: dict[str, Any]
    execution_id: str = Field(min_length=1)


class PromptVerdict(BaseModel):
    safe: bool
    reason_code: Literal["", "TOXIC_PROMPT", "UNSUPPORTED_LANGUAGE"] = ""
    reason: str = ""
    language: str
    language_score: float
    toxicity: float | None = None
    labels: list[Label] = []


class PromptCheckOutput(BaseModel):
    """Replaces the state: the validated request with defaults filled in, and the verdict."""

    request: GenerateRequest
    prompt_check: PromptVerdict


class GenerateInput(_Step):
    request: GenerateRequest
    execution_id: str = Field(min_length=1)


class GenerationResult(BaseModel):
    staged_key: str
    content_type: str
    seed: int
    width: int
    height: int
    model: str
    latency_ms: int


class ModerateInput(_Step):
    staged_key: str = Field(min_length=1)
    execution_id: str = Field(min_length=1)


class ImageCheck(BaseModel):
    safe: bool
    reason_code: Literal["", "UNSAFE_IMAGE"] = ""
    reason: str = ""
    labels: list[Label] = []
    model_version: str = ""


class StoreInput(_Step):
    staged_key: str = Field(min_length=1)
    content_type: str
    execution_id: str = Field(min_length=1)
    seed: int
    model: str
    request: GenerateRequest


class StoredImage(BaseModel):
    key: str
    url: str
    expires_in: int


class DiscardInput(_Step):
    execution_id: str = Field(min_length=1)
    # Why the staged image is not published: a rejected image may be kept in
    # quarantine by configuration; a failed run's image is always deleted,
    # together with any copy a failed StoreImage left published.
    outcome: Literal["rejected", "failed"]


class DiscardResult(BaseModel):
    disposition: Literal["deleted", "quarantined"]
    staged_key: str
    quarantine_key: str | None = None


class AcquireSlotInput(_Step):
    # reserve: join the queue on arrival; acquire: take the slot before generating.
    mode: Literal["reserve", "acquire"] = "acquire"
    execution_id: str = Field(min_length=1)
    # $$.Execution.StartTime: the run's budget counts from here.
    execution_started: datetime


class SlotAdmission(BaseModel):
    """`queued`: in line, go on; `acquired`: generate now; `wait`: ask again after
    `wait_seconds`; `busy`: refuse, and tell the caller to come back after `retry_after` s."""

    decision: Literal["queued", "acquired", "wait", "busy"]
    position: int = 0
    expected_wait_seconds: float = 0.0
    wait_seconds: int = 0
    retry_after: int = 0


class ReleaseSlotInput(_Step):
    execution_id: str = Field(min_length=1)
    latency_ms: int | None = None


class SlotReleased(BaseModel):
    released: bool = True
