"""Deployment settings, read once from CDK context (`-c key=value` or cdk.json).

Every option has a default here, so `make synth` works with no context at all.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, get_args

if TYPE_CHECKING:
    from constructs import Node

from text2image.domain.capacity import BacklogScaling, live_capacity
from text2image.domain.policy import PEOPLE_SETTINGS, PeopleSetting

from .capacity import stage_throttle
from .jumpstart import DEFAULT_INSTANCE_TYPE, SUPPORTED_INSTANCE_TYPES
from .regions import guardrail_region_problem

ApiAuth = Literal["none", "apiKey", "iam", "cognito"]
API_AUTH_MODES: tuple[str, ...] = get_args(ApiAuth)

DEFAULT_REGION = "us-east-1"


class SettingsError(ValueError):
    """A context value is missing or malformed; the message names it."""


@dataclass(frozen=True)
class DeploySettings:
    region: str = DEFAULT_REGION
    account: str | None = None
    # SDXL endpoint: created here unless an existing one is named.
    existing_endpoint_name: str | None = None
    instance_type: str = DEFAULT_INSTANCE_TYPE
    min_instances: int = 1
    max_instances: int = 2
    # Target for the backlog per instance (runs generating or waiting, per instance in
    # service) that the endpoint's instances are scaled to hold.
    backlog_per_instance: float = BacklogScaling.target_backlog_per_instance
    # SDXL generations one instance serves at once: one A10G draws one image at a time.
    concurrent_generations_per_instance: int = 1
    # API
    api_auth: ApiAuth = "none"
    # Derived from capacity (see capacity.py) unless given.
    throttle_rate: float | None = None
    throttle_burst: int | None = None
    # Logs and data
    log_retention_days: int = 30
    staging_expiry_days: int = 1
    quarantine_expiry_days: int = 30
    # Overrides of the functions' environment, e.g. {"TOXICITY_THRESHOLD": "0.4"}.
    function_environment: Mapping[str, str] = field(default_factory=dict)
    # Prompts in other languages are translated with Amazon Translate (and the
    # prompt-check functions may call it); off, they are refused as before.
    translate_prompts: bool = True
    # Named real people in prompts: allow, refuse-harmful (with sexual, violent, humiliating
    # or degrading words) or refuse. Anything but allow lets the prompt check call DetectEntities.
    people: PeopleSetting = "refuse-harmful"
    # A celebrity Rekognition recognises on the image counts for the people rule from this
    # MatchConfidence (0..100) up.
    celebrity_min_confidence: float = 90.0
    # Amazon Bedrock Guardrails as a second opinion on the prompt and the image.
    guardrail: bool = False
    # Powertools layer: resolved at deploy time from the public SSM parameter for
    # this version, unless a layer ARN is given.
    powertools_version: str | None = None
    powertools_layer_arn: str | None = None
    # Alarms go to an SNS topic; this address is subscribed to it when given.
    alarm_email: str | None = None
    # A WAF web ACL on the API stage (per-IP rate rule, AWS managed rule groups).
    waf: bool = True
    # An AWS Budgets budget (USD a month) on the stack's cost tag, alerting the alarm topic.
    monthly_budget: float = 100.0
    # Approved images per caller (Cognito user or API key) per UTC day; 0: no quota.
    daily_image_quota: int = 50

    @property
    def is_open_to_anyone(self) -> bool:
        """No sign-in and no edge protection: anyone who finds the URL spends the account's money."""
        return self.api_auth == "none" and not self.waf

    @property
    def generation_capacity(self) -> int:
        """Generations admitted at once until RefreshGenerationCapacity first counts the
        instances in service (domain.capacity.live_capacity): those always there."""
        return live_capacity(self.min_instances, self.concurrent_generations_per_instance)

    @property
    def scaling_policy(self) -> BacklogScaling:
        return BacklogScaling(target_backlog_per_instance=self.backlog_per_instance)

    @property
    def stage_throttle(self) -> tuple[float, int]:
        """(rate, burst) of the API stage: the context's, or derived from the capacity at full scale."""
        rate, burst = stage_throttle(self.max_instances * self.concurrent_generations_per_instance)
        return (
            self.throttle_rate if self.throttle_rate is not None else rate,
            self.throttle_burst if self.throttle_burst is not None else burst,
        )

    @classmethod
    def from_context(cls, node: Node, environ: Mapping[str, str] | None = None) -> DeploySettings:
        return cls.from_lookup(node.try_get_context, environ)

    @classmethod
    def from_lookup(
        cls, context: Callable[[str], Any], environ: Mapping[str, str] | None = None
    ) -> DeploySettings:
        """Read from any context lookup: the app's node, or the preflight's parse of
        cdk.json and `-c` arguments, so both see the same settings."""
        environ = os.environ if environ is None else environ

        def get(key: str) -> Any:
            value = context(key)
            return None if value in (None, "") else value

        def integer(key: str, default: int, minimum: int = 0) -> int:
            value = get(key)
            try:
                number = default if value is None else int(value)
            except (TypeError, ValueError):
                raise SettingsError(f"context {key} must be an integer, got {value!r}") from None
            if number < minimum:
                raise SettingsError(f"context {key} must be at least {minimum}, got {number}")
            return number

        def positive(key: str, default: float) -> float:
            value = get(key)
            try:
                number = default if value is None else float(value)
            except (TypeError, ValueError):
                raise SettingsError(f"context {key} must be a number, got {value!r}") from None
            if number <= 0:
                raise SettingsError(f"context {key} must be above 0, got {number}")
            return number

        region = (
            get("region")
            or environ.get("CDK_DEFAULT_REGION")
            or environ.get("AWS_REGION")
            or environ.get("AWS_DEFAULT_REGION")
            or DEFAULT_REGION
        )
        api_auth = get("apiAuth") or "none"
        if api_auth not in API_AUTH_MODES:
            raise SettingsError(f"context apiAuth must be one of {list(API_AUTH_MODES)}, got {api_auth!r}")
        overrides = get("functionEnvironment") or {}
        if isinstance(overrides, str):
            try:
                overrides = json.loads(overrides)
            except json.JSONDecodeError as error:
                raise SettingsError(f"context functionEnvironment is not JSON: {error}") from None
        if not isinstance(overrides, dict):
            raise SettingsError("context functionEnvironment must be a JSON object of strings")
        if "PEOPLE_POLICY" in overrides:
            raise SettingsError(
                "set PEOPLE_POLICY with context people (it also decides the IAM grant), "
                "not with functionEnvironment"
            )
        people = str(get("people") or cls.people)
        if people not in PEOPLE_SETTINGS:
            raise SettingsError(f"context people must be one of {list(PEOPLE_SETTINGS)}, got {people!r}")
        if "CELEBRITY_MIN_CONFIDENCE" in overrides:
            raise SettingsError(
                "set CELEBRITY_MIN_CONFIDENCE with context celebrityMinConfidence, "
                "not with functionEnvironment"
            )
        celebrity_min_confidence = get("celebrityMinConfidence")
        try:
            celebrity_min_confidence = float(
                cls.celebrity_min_confidence if celebrity_min_confidence is None else celebrity_min_confidence
            )
        except (TypeError, ValueError):
            celebrity_min_confidence = -1.0
        if not 0.0 <= celebrity_min_confidence <= 100.0:
            raise SettingsError(
                "context celebrityMinConfidence must be a number from 0 to 100, "
                f"got {get('celebrityMinConfidence')!r}"
            )
        guardrail = str(get("guardrail") or "off").lower()
        if guardrail not in ("on", "off"):
            raise SettingsError(f"context guardrail must be on or off, got {get('guardrail')!r}")
        if guardrail == "on" and (problem := guardrail_region_problem(str(region))):
            raise SettingsError(problem)
        if {"GUARDRAIL_ID", "GUARDRAIL_VERSION"} & set(overrides):
            raise SettingsError(
                "the guardrail is set with context guardrail=on, not with functionEnvironment"
            )
        if "TRANSLATE_PROMPTS" in overrides:
            raise SettingsError(
                "set TRANSLATE_PROMPTS with context translatePrompts (it also decides the IAM grant), "
                "not with functionEnvironment"
            )
        translate_prompts = get("translatePrompts")
        if translate_prompts is None:
            translate_prompts = cls.translate_prompts
        elif str(translate_prompts).lower() in ("true", "false"):
            translate_prompts = str(translate_prompts).lower() == "true"
        else:
            raise SettingsError(f"context translatePrompts must be true or false, got {translate_prompts!r}")
        instance_type = str(get("instanceType") or cls.instance_type)
        if instance_type not in SUPPORTED_INSTANCE_TYPES:
            # Another type may lack the GPU or memory SDXL needs; SageMaker would only find out at
            # deploy, after minutes of loading the weights.
            raise SettingsError(
                f"context instanceType {instance_type!r} is not one the JumpStart SDXL 1.0 model "
                f"supports; choose one of {list(SUPPORTED_INSTANCE_TYPES)}"
            )
        # 0 hosts SDXL as an inference component that scales to zero when idle.
        min_instances = integer("minInstances", cls.min_instances, minimum=0)
        max_instances = integer("maxInstances", cls.max_instances, minimum=1)
        if max_instances < min_instances:
            raise SettingsError(
                f"context maxInstances ({max_instances}) is below minInstances ({min_instances})"
            )
        try:
            throttle_rate = float(get("throttleRate")) if get("throttleRate") else None
        except ValueError:
            raise SettingsError(
                f"context throttleRate must be a number, got {get('throttleRate')!r}"
            ) from None
        waf = get("waf")
        if waf is None:
            waf = cls.waf
        elif str(waf).lower() in ("on", "off", "true", "false"):
            waf = str(waf).lower() in ("on", "true")
        else:
            raise SettingsError(f"context waf must be on or off, got {waf!r}")
        try:
            monthly_budget = float(get("monthlyBudget")) if get("monthlyBudget") else cls.monthly_budget
        except ValueError:
            raise SettingsError(
                f"context monthlyBudget must be a number of USD, got {get('monthlyBudget')!r}"
            ) from None
        if not monthly_budget > 0:
            raise SettingsError(f"context monthlyBudget must be above 0 USD, got {monthly_budget}")
        if "DAILY_IMAGE_QUOTA" in overrides:
            raise SettingsError(
                "set DAILY_IMAGE_QUOTA with context dailyImageQuota, not with functionEnvironment"
            )
        return cls(
            region=str(region),
            account=get("account") or environ.get("CDK_DEFAULT_ACCOUNT"),
            existing_endpoint_name=get("existingEndpointName"),
            instance_type=instance_type,
            min_instances=min_instances,
            max_instances=max_instances,
            backlog_per_instance=positive("backlogPerInstance", cls.backlog_per_instance),
            concurrent_generations_per_instance=integer(
                "concurrentGenerationsPerInstance", cls.concurrent_generations_per_instance, 1
            ),
            api_auth=api_auth,
            throttle_rate=throttle_rate,
            throttle_burst=integer("throttleBurst", 0, 1) if get("throttleBurst") else None,
            log_retention_days=integer("logRetentionDays", cls.log_retention_days, 1),
            staging_expiry_days=integer("stagingExpiryDays", cls.staging_expiry_days, 1),
            quarantine_expiry_days=integer("quarantineExpiryDays", cls.quarantine_expiry_days, 1),
            function_environment={str(k): str(v) for k, v in overrides.items()},
            translate_prompts=translate_prompts,
            people=people,  # type: ignore[arg-type]  # checked against PEOPLE_SETTINGS above
            celebrity_min_confidence=celebrity_min_confidence,
            guardrail=guardrail == "on",
            powertools_version=get("powertoolsVersion"),
            powertools_layer_arn=get("powertoolsLayerArn"),
            alarm_email=_email(get("alarmEmail")),
            waf=waf,
            monthly_budget=monthly_budget,
            daily_image_quota=integer("dailyImageQuota", cls.daily_image_quota, 0),
        )


def _email(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    if text.count("@") != 1 or text.startswith("@") or text.endswith("@") or " " in text:
        raise SettingsError(f"context alarmEmail must be one e-mail address, got {value!r}")
    return text
