"""Typed configuration: each function reads and validates its environment once, at cold start.

A missing or malformed variable fails the cold start with a message naming it,
never a request half-way through.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, Literal, Self

from pydantic import ConfigDict, Field, ValidationError, field_validator, model_validator

from text2image.deferred_model import DeferredModel
from text2image.domain.admission import job_queue_depth
from text2image.domain.jobs import JOB_RUNS, JOB_TIMEOUT_SECONDS
from text2image.domain.policy import PeopleSetting
from text2image.domain.storage import PUBLISHED_PREFIX, QUARANTINE_PREFIX, STAGING_PREFIX
from text2image.domain.taxonomy import MODERATION_CATEGORIES, TOXICITY_LABELS

JUMPSTART_SAMPLERS: tuple[str, ...] = (
    "EulerEDMSampler",
    "HeunEDMSampler",
    "EulerAncestralSampler",
    "DPMPP2SAncestralSampler",
    "DPMPP2MSampler",
    "LinearMultistepSampler",
)

Score = Annotated[float, Field(ge=0.0, le=1.0)]


class ConfigurationError(RuntimeError):
    """Raised at cold start when the environment is incomplete or invalid."""


class FunctionConfig(DeferredModel):
    """One function's configuration, read from its environment (`ENV`) and validated at cold start."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    # Field name -> environment variable name, for the fields read from the environment.
    ENV: ClassVar[Mapping[str, str]] = {}

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Self:
        environ = os.environ if environ is None else environ
        values = {field: environ[var] for field, var in cls.ENV.items() if environ.get(var, "") != ""}
        try:
            return cls.model_validate(values)
        except ValidationError as error:
            problems = "; ".join(
                f"{cls.ENV.get(str(e['loc'][0]), e['loc'][0]) if e['loc'] else '?'}: {e['msg']}"
                for e in error.errors()
            )
            raise ConfigurationError(f"{cls.__name__} is invalid: {problems}") from None

    @classmethod
    def env_names(cls) -> list[str]:
        return list(cls.ENV.values())


# The functions that write a running job's stage read the jobs table's name from here.
JOB_PROGRESS_ENV: Mapping[str, str] = {"jobs_table": "JOBS_TABLE"}


class PromptCheckConfig(FunctionConfig):
    """CheckPromptToxicity and the /check-toxicity API."""

    ENV = {
        "toxicity_threshold": "TOXICITY_THRESHOLD",
        "label_thresholds": "LABEL_THRESHOLDS",
        "language_confidence": "LANGUAGE_CONFIDENCE",
        "translate_prompts": "TRANSLATE_PROMPTS",
        "people": "PEOPLE_POLICY",
        "person_min_score": "PERSON_MIN_SCORE",
        **JOB_PROGRESS_ENV,
    }
    # The jobs table, where a job's stage is written as it runs (empty: no jobs).
    jobs_table: str = ""
    # Named real people (Comprehend DetectEntities PERSON): `allow`, `refuse-harmful`
    # (with sexual, violent, humiliating or degrading words) or `refuse` (any).
    people: PeopleSetting = "refuse-harmful"
    # A PERSON entity counts from this Comprehend score up.
    person_min_score: Score = 0.8

    # A prompt is rejected when the overall Toxicity reaches this score...
    toxicity_threshold: Score = 0.5
    # ...or when one of these labels reaches its own threshold (JSON object).
    label_thresholds: dict[str, Score] = {}
    # A prompt whose dominant language is not English with at least this
    # confidence is rejected, never scored as English.
    language_confidence: Score = 0.8
    # A text in another language is translated to English with Amazon Translate
    # and the translation is checked (and generated from); off, it is refused.
    translate_prompts: bool = True

    @field_validator("label_thresholds", mode="before")
    @classmethod
    def _parse_json(cls, value: object) -> object:
        return json.loads(value) if isinstance(value, str) else value

    @field_validator("label_thresholds")
    @classmethod
    def _known_labels(cls, value: dict[str, float]) -> dict[str, float]:
        unknown = sorted(set(value) - set(TOXICITY_LABELS))
        if unknown:
            raise ValueError(f"unknown labels {unknown}; known: {list(TOXICITY_LABELS)}")
        return value


class GenerationConfig(FunctionConfig):
    """GenerateImage. The defaults fit well inside API Gateway's 29 s (see docs/workflow.md)."""

    ENV = {
        "endpoint_name": "ENDPOINT_NAME",
        "inference_component_name": "INFERENCE_COMPONENT_NAME",
        "bucket": "IMAGE_BUCKET",
        "staging_prefix": "STAGING_PREFIX",
        "model_id": "MODEL_ID",
        "steps": "GENERATION_STEPS",
        "cfg_scale": "CFG_SCALE",
        "sampler": "SAMPLER",
        "use_refiner": "USE_REFINER",
        "refiner_steps": "REFINER_STEPS",
        "refiner_strength": "REFINER_STRENGTH",
        "staging_margin_seconds": "STAGING_MARGIN_SECONDS",
    }

    endpoint_name: Annotated[str, Field(min_length=1)]
    # Set when the endpoint hosts SDXL as an inference component (scale to zero).
    inference_component_name: str = ""
    bucket: Annotated[str, Field(min_length=3)]
    staging_prefix: str = STAGING_PREFIX
    model_id: str = "model-imagegeneration-stabilityai-stable-diffusion-xl-base-1-0"
    steps: Annotated[int, Field(ge=1, le=100)] = 25
    cfg_scale: Annotated[float, Field(ge=0.0, le=35.0)] = 7.0
    sampler: Literal[JUMPSTART_SAMPLERS] = "DPMPP2MSampler"  # type: ignore[valid-type]
    use_refiner: bool = False
    refiner_steps: Annotated[int, Field(ge=1, le=100)] = 20
    refiner_strength: Annotated[float, Field(ge=0.0, le=1.0)] = 0.3
    # Of the handler's time, what is kept back from the endpoint call for
    # checking and staging the image (the staging upload is bounded to it).
    staging_margin_seconds: Annotated[float, Field(ge=2.0, le=10.0)] = 3.0


class AdmissionConfig(FunctionConfig):
    """AcquireGenerationSlot and ReleaseGenerationSlot: the semaphore on the SDXL endpoint."""

    ENV = {
        "table": "SLOTS_TABLE",
        "pool": "ENDPOINT_NAME",
        "capacity": "GENERATION_CAPACITY",
        "lease_seconds": "SLOT_LEASE_SECONDS",
        "run_budget_seconds": "RUN_BUDGET_SECONDS",
        "after_generation_seconds": "AFTER_GENERATION_SECONDS",
        "expected_generation_seconds": "EXPECTED_GENERATION_SECONDS",
        "poll_seconds": "SLOT_POLL_SECONDS",
        "job_run_budget_seconds": "JOB_RUN_BUDGET_SECONDS",
        **JOB_PROGRESS_ENV,
    }
    # The jobs table, where a job's stage is written as it runs (empty: no jobs).
    jobs_table: str = ""

    table: Annotated[str, Field(min_length=3)]
    pool: Annotated[str, Field(min_length=1)]
    # Generations the endpoint serves at once: instances x concurrent invocations
    # per instance. One ml.g5.4xlarge (one A10G) draws one SDXL image at a time.
    capacity: Annotated[int, Field(ge=1, le=1000)] = 1
    # Longer than GenerateImage can take with its retry (24 + 2 + 24 s): a live
    # holder never loses its slot, a dead one frees it within this time.
    lease_seconds: Annotated[int, Field(ge=5, le=900)] = 60
    # The state machine's TimeoutSeconds: a run waits for a slot only if its
    # turn, its generation and what follows fit inside it.
    run_budget_seconds: Annotated[int, Field(ge=5, le=300)] = 28
    # Moderation, storage and their cold starts, after the image is drawn.
    after_generation_seconds: Annotated[float, Field(ge=0.0, le=60.0)] = 4.0
    # The latency assumed until a generation has been measured.
    expected_generation_seconds: Annotated[float, Field(gt=0.0, le=120.0)] = 8.0
    poll_seconds: Annotated[int, Field(ge=1, le=30)] = 1
    # A job's budget per run: the job machine's TimeoutSeconds. A job waits for its
    # turn where a sync run would be refused, and hands over to its next run (up to
    # domain.jobs.JOB_RUNS) when its turn cannot come in this one.
    job_run_budget_seconds: Annotated[int, Field(ge=5, le=300)] = JOB_TIMEOUT_SECONDS


class CapacityConfig(FunctionConfig):
    """RefreshGenerationCapacity: the admission's capacity from the instances in service,
    and the backlog per instance the endpoint scales on."""

    ENV = {
        "table": "SLOTS_TABLE",
        "pool": "ENDPOINT_NAME",
        "inference_component_name": "INFERENCE_COMPONENT_NAME",
        "generations_per_instance": "GENERATIONS_PER_INSTANCE",
        "run_budget_seconds": "RUN_BUDGET_SECONDS",
        "job_run_budget_seconds": "JOB_RUN_BUDGET_SECONDS",
    }

    table: Annotated[str, Field(min_length=3)]
    # The endpoint: the pool's name and what DescribeEndpoint reads.
    pool: Annotated[str, Field(min_length=1)]
    # Set when the endpoint hosts SDXL as an inference component (scale to zero).
    inference_component_name: str = ""
    # SDXL generations one instance serves at once: one A10G draws one image at a time.
    generations_per_instance: Annotated[int, Field(ge=1, le=64)] = 1
    # As the admission's: how long a waiter can wait before it is known to have ended.
    run_budget_seconds: Annotated[int, Field(ge=5, le=300)] = 28
    job_run_budget_seconds: Annotated[int, Field(ge=5, le=300)] = JOB_TIMEOUT_SECONDS


class ModerationConfig(FunctionConfig):
    """ModerateImage."""

    ENV = {
        "bucket": "IMAGE_BUCKET",
        "min_confidence": "MIN_CONFIDENCE",
        "blocked_categories": "BLOCKED_CATEGORIES",
        **JOB_PROGRESS_ENV,
    }
    # The jobs table, where a job's stage is written as it runs (empty: no jobs).
    jobs_table: str = ""

    bucket: Annotated[str, Field(min_length=3)]
    min_confidence: Annotated[float, Field(ge=0.0, le=100.0)] = 50.0
    # Comma-separated top-level categories; by default every category blocks.
    blocked_categories: tuple[str, ...] = MODERATION_CATEGORIES

    @field_validator("blocked_categories", mode="before")
    @classmethod
    def _split(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("blocked_categories")
    @classmethod
    def _known_categories(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = sorted(set(value) - set(MODERATION_CATEGORIES))
        if unknown:
            raise ValueError(f"unknown categories {unknown}; known: {list(MODERATION_CATEGORIES)}")
        return value


class CelebrityConfig(FunctionConfig):
    """RecognizeCelebrities: the people rule on the generated image."""

    ENV = {
        "bucket": "IMAGE_BUCKET",
        "people": "PEOPLE_POLICY",
        "min_confidence": "CELEBRITY_MIN_CONFIDENCE",
    }

    bucket: Annotated[str, Field(min_length=3)]
    # The same setting as the prompt's people rule (see domain.celebrities).
    people: PeopleSetting = "refuse-harmful"
    # A celebrity counts from this MatchConfidence (0..100) up.
    min_confidence: Annotated[float, Field(ge=0.0, le=100.0)] = 90.0


class GuardrailConfig(FunctionConfig):
    """ApplyGuardrailToPrompt and ApplyGuardrailToImage: Amazon Bedrock Guardrails."""

    ENV = {"bucket": "IMAGE_BUCKET", "guardrail_id": "GUARDRAIL_ID", "guardrail_version": "GUARDRAIL_VERSION"}

    bucket: Annotated[str, Field(min_length=3)]
    # Empty when the stack has no guardrail: the workflow then never calls these functions.
    guardrail_id: str = ""
    guardrail_version: str = "DRAFT"


class StorageConfig(FunctionConfig):
    """StoreImage."""

    ENV = {
        "bucket": "IMAGE_BUCKET",
        "staging_prefix": "STAGING_PREFIX",
        "published_prefix": "PUBLISHED_PREFIX",
        "url_ttl_seconds": "URL_TTL_SECONDS",
        **JOB_PROGRESS_ENV,
    }
    # The jobs table, where a job's stage is written as it runs (empty: no jobs).
    jobs_table: str = ""

    bucket: Annotated[str, Field(min_length=3)]
    staging_prefix: str = STAGING_PREFIX
    published_prefix: str = PUBLISHED_PREFIX
    # A presigned URL signed with a Lambda role's temporary credentials stops
    # working when they expire, whatever it says; keep this at most 12 hours.
    url_ttl_seconds: Annotated[int, Field(ge=60, le=43_200)] = 3600


class DiscardConfig(FunctionConfig):
    """DiscardStagedImage: what happens to a staged image that is not published."""

    ENV = {
        "bucket": "IMAGE_BUCKET",
        "staging_prefix": "STAGING_PREFIX",
        "published_prefix": "PUBLISHED_PREFIX",
        "rejected_image_action": "REJECTED_IMAGE_ACTION",
        "quarantine_prefix": "QUARANTINE_PREFIX",
    }

    bucket: Annotated[str, Field(min_length=3)]
    staging_prefix: str = STAGING_PREFIX
    published_prefix: str = PUBLISHED_PREFIX
    # Rejected images are deleted, or kept under the quarantine prefix for
    # review (the stack expires that prefix too).
    rejected_image_action: Literal["delete", "quarantine"] = "delete"
    quarantine_prefix: str = QUARANTINE_PREFIX


class IdempotencyConfig(FunctionConfig):
    """ClaimIdempotencyKey and SettleIdempotencyKey: the Idempotency-Keys of POST /generate."""

    ENV = {
        "table": "IDEMPOTENCY_TABLE",
        "bucket": "IMAGE_BUCKET",
        "run_budget_seconds": "RUN_BUDGET_SECONDS",
        "wait_seconds": "IDEMPOTENCY_WAIT_SECONDS",
        "poll_seconds": "IDEMPOTENCY_POLL_SECONDS",
        "url_ttl_seconds": "URL_TTL_SECONDS",
    }

    table: Annotated[str, Field(min_length=3)]
    # A replayed approval gets a new presigned URL of the published image.
    bucket: Annotated[str, Field(min_length=3)]
    # The state machine's TimeoutSeconds: a claim is leased for its run's budget
    # (plus a margin), so a run that timed out without settling frees its key.
    run_budget_seconds: Annotated[int, Field(ge=5, le=300)] = 28
    # How long, from its own start, a repeat waits for the first run's answer before
    # answering 409 RequestInProgress; the rest of its budget is kept to answer.
    wait_seconds: Annotated[int, Field(ge=0, le=300)] = 25
    poll_seconds: Annotated[int, Field(ge=1, le=30)] = 1
    # As StoreImage's: the replayed URL lives as long as a first one.
    url_ttl_seconds: Annotated[int, Field(ge=60, le=43_200)] = 3600


class JobsConfig(FunctionConfig):
    """JobsApi (POST /jobs, GET /jobs/{id}) and RunJob."""

    ENV = {
        "jobs_table": "JOBS_TABLE",
        "run_job_function": "RUN_JOB_FUNCTION",
        "job_state_machine_arn": "JOB_STATE_MACHINE_ARN",
        "max_jobs_in_flight": "MAX_JOBS_IN_FLIGHT",
        "capacity": "GENERATION_CAPACITY",
        "expected_generation_seconds": "EXPECTED_GENERATION_SECONDS",
        "execution_runner": "JOB_EXECUTION_RUNNER",
    }

    jobs_table: Annotated[str, Field(min_length=3)]
    run_job_function: Annotated[str, Field(min_length=1)] = "RunJob"
    job_state_machine_arn: Annotated[str, Field(min_length=1)]
    # The bounded queue: past this many jobs accepted and not finished, POST /jobs
    # answers 429. By default, as many as the admission would still let wait for
    # their turn within a job's life (`domain.admission.job_queue_depth`: 57 for
    # one slot at 8 s an image and two runs of 300 s).
    max_jobs_in_flight: Annotated[int | None, Field(ge=1, le=10_000)] = None
    capacity: Annotated[int, Field(ge=1, le=1000)] = 1
    expected_generation_seconds: Annotated[float, Field(gt=0.0, le=120.0)] = 8.0
    # How RunJob runs the job machine to its end: StartSyncExecution on AWS;
    # "poll" (StartExecution, then DescribeExecution) only where StartSyncExecution
    # does not exist, i.e. moto.
    execution_runner: Literal["sync", "poll"] = "sync"

    @model_validator(mode="before")
    @classmethod
    def _derive_queue_depth(cls, values: Any) -> Any:
        """Unset, the depth is the one a job's life allows at this capacity and latency."""
        if not isinstance(values, dict) or values.get("max_jobs_in_flight") not in (None, ""):
            return values
        try:
            depth = default_job_queue_depth(
                int(values.get("capacity", 1)), float(values.get("expected_generation_seconds", 8.0))
            )
        except (TypeError, ValueError, ZeroDivisionError):
            return values  # the fields' own validation names the bad variable
        return {**values, "max_jobs_in_flight": depth}

    @property
    def queue_depth(self) -> int:
        """MAX_JOBS_IN_FLIGHT, or the depth a job's life allows at this capacity."""
        if self.max_jobs_in_flight is not None:
            return self.max_jobs_in_flight
        return default_job_queue_depth(self.capacity, self.expected_generation_seconds)


def default_job_queue_depth(capacity: int, expected_generation_seconds: float) -> int:
    """The queue depth a job's life allows at this capacity, with the admission's defaults."""

    def default(field: str) -> float:
        return float(AdmissionConfig.model_fields[field].default)

    return job_queue_depth(
        capacity,
        JOB_RUNS,
        default("job_run_budget_seconds"),
        expected_generation_seconds,
        default("after_generation_seconds"),
        default("poll_seconds"),
    )


class ProvenanceConfig(FunctionConfig):
    """MarkProvenance: the watermark and the signed C2PA manifest of every published image."""

    ENV = {
        "bucket": "IMAGE_BUCKET",
        "signing_key_id": "PROVENANCE_KEY_ID",
        "certificate_parameter": "PROVENANCE_CERTIFICATE_PARAMETER",
        "model_version": "MODEL_VERSION",
        "record_prompt": "PROVENANCE_RECORD_PROMPT",
    }

    bucket: Annotated[str, Field(min_length=3)]
    # The KMS key (id, ARN or alias) that signs the manifests.
    signing_key_id: Annotated[str, Field(min_length=1)]
    # The SSM parameter holding the key's certificate chain (PEM, leaf first).
    certificate_parameter: Annotated[str, Field(min_length=1)]
    # The version of the JumpStart model, recorded beside its id as the generator.
    model_version: Annotated[str, Field(min_length=1)] = "1.0"
    # The prompt text goes into the manifest only when the operator turns this on.
    record_prompt: bool = False


class VerifyConfig(FunctionConfig):
    """VerifyApi: reads an image's Content Credentials and watermark for anyone."""

    ENV = {
        "certificate_parameter": "PROVENANCE_CERTIFICATE_PARAMETER",
        "bucket": "IMAGE_BUCKET",
        "upload_addressing_style": "UPLOAD_ADDRESSING_STYLE",
    }

    # The root of this chain is the trust anchor; empty, manifests are checked but never trusted.
    certificate_parameter: str = ""
    # Images too large for API Gateway are uploaded here (under VERIFY_UPLOAD_PREFIX) first.
    bucket: Annotated[str, Field(min_length=3)]
    # `virtual` gives the form the bucket's regional host (the page's CSP allows it);
    # an endpoint on 127.0.0.1 (moto) has no bucket subdomains, so the local stack says `path`.
    upload_addressing_style: Literal["virtual", "path"] = "virtual"


class QuotaConfig(FunctionConfig):
    """ReserveQuota: the operator's pause switch and each caller's images per day."""

    ENV = {
        "table": "QUOTA_TABLE",
        "daily_images": "DAILY_IMAGE_QUOTA",
        "pause_parameter": "PAUSE_PARAMETER",
        "pause_cache_seconds": "PAUSE_CACHE_SECONDS",
        "paused_retry_after_seconds": "PAUSED_RETRY_AFTER_SECONDS",
        "run_budget_seconds": "RUN_BUDGET_SECONDS",
        "job_run_budget_seconds": "JOB_RUN_BUDGET_SECONDS",
    }

    table: Annotated[str, Field(min_length=3)]
    # Approved images per caller per UTC day; 0 is no quota. A public API has no
    # callers to count, so only the pause switch applies there.
    daily_images: Annotated[int, Field(ge=0, le=1_000_000)] = 50
    # The SSM parameter the operator flips (`make pause`, `make resume`).
    pause_parameter: Annotated[str, Field(min_length=1)]
    # A flip reaches every warm function within this long, without an SSM call per run.
    pause_cache_seconds: Annotated[int, Field(ge=0, le=300)] = 5
    paused_retry_after_seconds: Annotated[int, Field(ge=1, le=86_400)] = 300
    run_budget_seconds: Annotated[int, Field(ge=5, le=300)] = 28
    job_run_budget_seconds: Annotated[int, Field(ge=5, le=300)] = JOB_TIMEOUT_SECONDS
