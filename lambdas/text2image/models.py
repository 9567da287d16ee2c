"""Pydantic models of each state's input and output: the state data contract."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import ConfigDict, Field

from text2image.contract import GenerateRequest, Label
from text2image.deferred_model import DeferredModel


class _Step(DeferredModel):
    model_config = ConfigDict(extra="ignore")


class PromptCheckInput(_Step):
    # Raw: validating it is this step's job, and a bad request is an answer.
    request: dict[str, Any]
    execution_id: str = Field(min_length=1)


class PromptVerdict(DeferredModel):
    safe: bool
    reason_code: Literal["", "TOXIC_PROMPT", "UNSUPPORTED_LANGUAGE"] = ""
    reason: str = ""
    language: str
    language_score: float
    toxicity: float | None = None
    labels: list[Label] = []


class PromptCheckOutput(DeferredModel):
    """Replaces the state: the validated request with defaults filled in, and the verdict."""

    request: GenerateRequest
    prompt_check: PromptVerdict


class GenerateInput(_Step):
    request: GenerateRequest
    execution_id: str = Field(min_length=1)


class GenerationResult(DeferredModel):
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


class ImageCheck(DeferredModel):
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


class StoredImage(DeferredModel):
    key: str
    url: str
    expires_in: int


class DiscardInput(_Step):
    execution_id: str = Field(min_length=1)
    # Why the staged image is not published: a rejected image may be kept in
    # quarantine by configuration; a failed run's image is always deleted,
    # together with any copy a failed StoreImage left published.
    outcome: Literal["rejected", "failed"]


class DiscardResult(DeferredModel):
    disposition: Literal["deleted", "quarantined"]
    staged_key: str
    quarantine_key: str | None = None
