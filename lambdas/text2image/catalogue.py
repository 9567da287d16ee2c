"""The functions of the product, defined once for the CDK stack and the local runner.

Each entry names the handler, the ASL placeholder its ARN substitutes, and the
configuration it reads. Pure Python: no AWS imports.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from text2image.config import (
    AdmissionConfig,
    CapacityConfig,
    CelebrityConfig,
    DiscardConfig,
    FunctionConfig,
    GenerationConfig,
    GuardrailConfig,
    IdempotencyConfig,
    JobsConfig,
    ModerationConfig,
    PromptCheckConfig,
    ProvenanceConfig,
    QuotaConfig,
    StorageConfig,
    VerifyConfig,
)
from text2image.domain.jobs import JOB_RUNS, JOB_TIMEOUT_SECONDS

# RunJob runs a job's executions one after another (each up to the job machine's
# 300 s) and then records the answer; Lambda's maximum is 900 s.
RUN_JOB_TIMEOUT_SECONDS = JOB_RUNS * JOB_TIMEOUT_SECONDS + 30
LAMBDA_MAX_TIMEOUT_SECONDS = 900


@dataclass(frozen=True)
class FunctionSpec:
    name: str
    handler: str
    config: type[FunctionConfig]
    # The `${...}` placeholder in asl/text2image.asl.json, or None for functions
    # the state machine does not call.
    asl_placeholder: str | None
    description: str
    # The Lambda timeout: below the TimeoutSeconds of the ASL task that calls
    # it, so Lambda stops the handler before the state gives up on it and its
    # Catch clean-up can run after the handler's last possible write.
    timeout_seconds: int = 9


FUNCTIONS: tuple[FunctionSpec, ...] = (
    FunctionSpec(
        name="CheckPromptToxicity",
        handler="text2image.handlers.check_prompt.handler",
        config=PromptCheckConfig,
        asl_placeholder="CheckPromptToxicityFunctionArn",
        description="Detects the prompt's language and toxicity with Comprehend.",
    ),
    FunctionSpec(
        name="ReserveQuota",
        handler="text2image.handlers.reserve_quota.handler",
        config=QuotaConfig,
        asl_placeholder="ReserveQuotaFunctionArn",
        description="Reads the pause switch and reserves one of the caller's daily images, or gives it back.",
    ),
    FunctionSpec(
        name="AcquireGenerationSlot",
        handler="text2image.handlers.acquire_slot.handler",
        config=AdmissionConfig,
        asl_placeholder="AcquireGenerationSlotFunctionArn",
        description="Takes a slot on the SDXL endpoint, queues for one, or refuses if none comes in time.",
        timeout_seconds=9,
    ),
    FunctionSpec(
        name="ReleaseGenerationSlot",
        handler="text2image.handlers.release_slot.handler",
        config=AdmissionConfig,
        asl_placeholder="ReleaseGenerationSlotFunctionArn",
        description="Gives the SDXL endpoint slot back and records the generation's latency.",
        timeout_seconds=9,
    ),
    FunctionSpec(
        name="RefreshGenerationCapacity",
        handler="text2image.handlers.refresh_capacity.handler",
        config=CapacityConfig,
        asl_placeholder=None,
        description="Sets the SDXL endpoint's slots from its instances in service; publishes the backlog.",
        timeout_seconds=20,
    ),
    FunctionSpec(
        name="GenerateImage",
        handler="text2image.handlers.generate_image.handler",
        config=GenerationConfig,
        asl_placeholder="GenerateImageFunctionArn",
        description="Invokes the SDXL endpoint and stages the image in S3.",
        timeout_seconds=24,
    ),
    FunctionSpec(
        name="ModerateImage",
        handler="text2image.handlers.moderate_image.handler",
        config=ModerationConfig,
        asl_placeholder="ModerateImageFunctionArn",
        description="Runs Rekognition content moderation on the staged image.",
    ),
    FunctionSpec(
        name="RecognizeCelebrities",
        handler="text2image.handlers.recognize_celebrities.handler",
        config=CelebrityConfig,
        asl_placeholder="RecognizeCelebritiesFunctionArn",
        description="Applies the people rule to celebrities Rekognition recognises on the staged image.",
    ),
    FunctionSpec(
        name="ApplyGuardrailToPrompt",
        handler="text2image.handlers.apply_guardrail_to_prompt.handler",
        config=GuardrailConfig,
        asl_placeholder="ApplyGuardrailToPromptFunctionArn",
        description="Asks Amazon Bedrock Guardrails for its opinion on the English prompt (guardrail on).",
    ),
    FunctionSpec(
        name="ApplyGuardrailToImage",
        handler="text2image.handlers.apply_guardrail_to_image.handler",
        config=GuardrailConfig,
        asl_placeholder="ApplyGuardrailToImageFunctionArn",
        description="Asks Amazon Bedrock Guardrails for its opinion on the staged image (guardrail on).",
    ),
    FunctionSpec(
        name="MarkProvenance",
        handler="text2image.handlers.mark_provenance.handler",
        config=ProvenanceConfig,
        asl_placeholder="MarkProvenanceFunctionArn",
        description="Watermarks the approved image and signs its C2PA Content Credentials with KMS.",
    ),
    FunctionSpec(
        name="StoreImage",
        handler="text2image.handlers.store_image.handler",
        config=StorageConfig,
        asl_placeholder="StoreImageFunctionArn",
        description="Publishes an approved image and returns a presigned URL.",
    ),
    FunctionSpec(
        name="DiscardStagedImage",
        handler="text2image.handlers.discard_staged_image.handler",
        config=DiscardConfig,
        asl_placeholder="DiscardStagedImageFunctionArn",
        description="Deletes or quarantines a staged image that will not be published.",
    ),
    FunctionSpec(
        name="ClaimIdempotencyKey",
        handler="text2image.handlers.claim_idempotency_key.handler",
        config=IdempotencyConfig,
        asl_placeholder="ClaimIdempotencyKeyFunctionArn",
        description="Claims a sync request's Idempotency-Key, or answers a repeat with the first answer.",
    ),
    FunctionSpec(
        name="SettleIdempotencyKey",
        handler="text2image.handlers.settle_idempotency_key.handler",
        config=IdempotencyConfig,
        asl_placeholder="SettleIdempotencyKeyFunctionArn",
        description="Keeps a final answer on its Idempotency-Key, or frees the key after any other end.",
    ),
    FunctionSpec(
        name="CheckToxicityApi",
        handler="text2image.handlers.check_toxicity_api.handler",
        config=PromptCheckConfig,
        asl_placeholder=None,
        description="Answers POST /check-toxicity through API Gateway.",
        timeout_seconds=10,
    ),
    FunctionSpec(
        name="VerifyApi",
        handler="text2image.handlers.verify_api.handler",
        config=VerifyConfig,
        asl_placeholder=None,
        description="Answers POST /verify: an image's Content Credentials and watermark.",
        timeout_seconds=10,
    ),
    FunctionSpec(
        name="JobsApi",
        handler="text2image.handlers.jobs_api.handler",
        config=JobsConfig,
        asl_placeholder=None,
        description="Answers POST /jobs and GET /jobs/{id} through API Gateway.",
        timeout_seconds=10,
    ),
    FunctionSpec(
        name="RunJob",
        handler="text2image.handlers.run_job.handler",
        config=JobsConfig,
        asl_placeholder=None,
        description="Runs a job's runs on the job state machine, each once, and records its answer.",
        timeout_seconds=RUN_JOB_TIMEOUT_SECONDS,
    ),
)

ASL_PATH = "asl/text2image.asl.json"


ASL_PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9_]+)\}")


# Placeholders that carry a deployment setting rather than a function's ARN, with their
# values: `GuardrailMode` lets one ASL file skip the guardrail's states with a Choice.
ASL_SETTINGS: dict[str, tuple[str, ...]] = {"GuardrailMode": ("off", "on")}


def asl_substitutions(
    definition: str, function_arn: Callable[[str], str], settings: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Every `${...}` placeholder of the ASL definition mapped to its function's
    ARN (`function_arn(name)`) or its setting's value (the first of `ASL_SETTINGS`
    unless `settings` says), for the CDK stack and the local runner alike; a
    placeholder the catalogue does not fill is an error."""
    settings = settings or {}
    unknown = sorted(set(settings) - set(ASL_SETTINGS))
    if unknown:
        raise ValueError(f"unknown ASL settings {unknown}; known: {sorted(ASL_SETTINGS)}")
    substitutions = {
        spec.asl_placeholder: function_arn(spec.name) for spec in FUNCTIONS if spec.asl_placeholder
    }
    for name, values in ASL_SETTINGS.items():
        value = settings.get(name, values[0])
        if value not in values:
            raise ValueError(f"ASL setting {name} must be one of {list(values)}, got {value!r}")
        substitutions[name] = value
    missing = sorted(set(ASL_PLACEHOLDER.findall(definition)) - set(substitutions))
    if missing:
        raise ValueError(f"the ASL file has placeholders the catalogue does not fill: {missing}")
    return substitutions
