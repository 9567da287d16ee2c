"""The whole service in one stack: buckets, SDXL endpoint, functions, workflow, API, CloudFront."""

from __future__ import annotations

from aws_cdk import Annotations, Aws, CfnOutput, Duration, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as events_targets
from aws_cdk import aws_iam as iam
from constructs import Construct

from text2image.domain.capacity import REFRESH_SECONDS
from text2image.domain.storage import (
    PUBLISHED_PREFIX,
    QUARANTINE_PREFIX,
    STAGING_PREFIX,
    VERIFY_UPLOAD_PREFIX,
)
from text2image.tables import DAILY_QUOTAS, GENERATION_SLOTS, IDEMPOTENCY_KEYS, JOBS

from .api import Api
from .auth import SignIn
from .budget import SpendBudget
from .endpoint import JumpStartSdxlEndpoint, endpoint_arn
from .functions import Functions, retention
from .guardrail import SecondOpinionGuardrail
from .jumpstart import sdxl_artifacts
from .monitoring import Monitoring
from .nag import add_suppressions
from .outcome_templates import API_KEY_CALLER, COGNITO_CALLER
from .paths import pinned_version
from .pause import PauseSwitch
from .provenance import ProvenanceSigning
from .settings import DeploySettings
from .site import Site
from .storage import Buckets
from .tables import Tables
from .waf import ApiFirewall
from .workflow import Workflow, job_state_machine_arn

# The cost allocation tag every resource carries (app.py), which the budget follows.
COST_TAG = ("project", "text2image")
OPEN_TO_ANYONE_WARNING = (
    "apiAuth=none and waf=off: anyone who finds the URL can spend this account's money on "
    "Comprehend, Rekognition, Translate and the GPU endpoint, with only the stage throttle in the way. "
    "Use -c apiAuth=cognito (or apiKey, iam), or keep the WAF on."
)


class Text2ImageStack(Stack):
    def __init__(
        self, scope: Construct, construct_id: str, *, settings: DeploySettings, **kwargs: object
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)  # type: ignore[arg-type]
        self.settings = settings
        buckets = Buckets(
            self,
            "Buckets",
            staging_expiry_days=settings.staging_expiry_days,
            quarantine_expiry_days=settings.quarantine_expiry_days,
        )
        self.buckets = buckets

        if settings.existing_endpoint_name:
            self.endpoint: JumpStartSdxlEndpoint | None = None
            endpoint_name = settings.existing_endpoint_name
            inference_component_name = None
        else:
            self.endpoint = JumpStartSdxlEndpoint(
                self,
                "Sdxl",
                artifacts=sdxl_artifacts(settings.region),
                instance_type=settings.instance_type,
                min_instances=settings.min_instances,
                max_instances=settings.max_instances,
                scaling_policy=settings.scaling_policy,
            )
            endpoint_name = self.endpoint.endpoint_name
            inference_component_name = self.endpoint.inference_component_name

        self.guardrail = SecondOpinionGuardrail(self, "Guardrail") if settings.guardrail else None
        self.tables = Tables(self, "Tables")
        self.provenance = ProvenanceSigning(self, "Provenance")
        self.pause_switch = PauseSwitch(self, "PauseSwitch")
        self.functions = Functions(
            self,
            "Functions",
            provided_environment={
                "IMAGE_BUCKET": buckets.images.bucket_name,
                "ENDPOINT_NAME": endpoint_name,
                "INFERENCE_COMPONENT_NAME": inference_component_name or "",
                "STAGING_PREFIX": STAGING_PREFIX,
                "PUBLISHED_PREFIX": PUBLISHED_PREFIX,
                "QUARANTINE_PREFIX": QUARANTINE_PREFIX,
                "TRANSLATE_PROMPTS": "true" if settings.translate_prompts else "false",
                "PEOPLE_POLICY": settings.people,
                "CELEBRITY_MIN_CONFIDENCE": str(settings.celebrity_min_confidence),
                "GUARDRAIL_ID": self.guardrail.guardrail_id if self.guardrail else "",
                "GUARDRAIL_VERSION": self.guardrail.version_number if self.guardrail else "DRAFT",
                "GENERATION_CAPACITY": str(settings.generation_capacity),
                "GENERATIONS_PER_INSTANCE": str(settings.concurrent_generations_per_instance),
                "JOB_STATE_MACHINE_ARN": job_state_machine_arn(self),
                "PAUSE_PARAMETER": self.pause_switch.parameter.parameter_name,
                "DAILY_IMAGE_QUOTA": str(settings.daily_image_quota),
                **self.tables.environment(),
                **self.provenance.environment(),
            },
            overrides=settings.function_environment,
            powertools_version=settings.powertools_version or pinned_version("aws-lambda-powertools"),
            powertools_layer=settings.powertools_layer_arn,
            log_retention_days=settings.log_retention_days,
        )
        self._grant(endpoint_arn(self, endpoint_name))
        self.provenance.add_layer(
            [self.functions.by_name["MarkProvenance"], self.functions.by_name["VerifyApi"]]
        )
        if self.endpoint is not None and self.endpoint.scale_to_zero is not None:
            # InvokeEndpoint with InferenceComponentName is authorised on the component too.
            self.functions.roles["GenerateImage"].add_to_policy(
                iam.PolicyStatement(
                    actions=["sagemaker:InvokeEndpoint"],
                    resources=[self.endpoint.scale_to_zero.component_arn],
                )
            )
            # Its instances in service are its copies: read this component only.
            self.functions.roles["RefreshGenerationCapacity"].add_to_policy(
                iam.PolicyStatement(
                    actions=["sagemaker:DescribeInferenceComponent"],
                    resources=[self.endpoint.scale_to_zero.component_arn],
                )
            )
        # The live capacity and the backlog metric, every minute.
        events.Rule(
            self,
            "RefreshGenerationCapacitySchedule",
            description="Sets the admission's capacity from the SDXL endpoint's instances in service.",
            schedule=events.Schedule.rate(Duration.seconds(REFRESH_SECONDS)),
            targets=[events_targets.LambdaFunction(self.functions.by_name["RefreshGenerationCapacity"])],
        )

        self.workflow = Workflow(
            self,
            "Workflow",
            functions=self.functions.by_name,
            log_retention_days=settings.log_retention_days,
            guardrail=settings.guardrail,
        )
        run_job = self.functions.by_name["RunJob"]
        self.functions.by_name["JobsApi"].add_environment("RUN_JOB_FUNCTION", run_job.function_name)
        allow_run_job = iam.PolicyStatement(
            actions=["states:StartSyncExecution"],
            resources=[self.workflow.job_state_machine.state_machine_arn],
        )
        self.functions.roles["RunJob"].add_to_policy(allow_run_job)
        self.functions.roles["JobsApi"].add_to_policy(
            iam.PolicyStatement(actions=["lambda:InvokeFunction"], resources=[run_job.function_arn])
        )
        self.sign_in = SignIn(self, "SignIn") if settings.api_auth == "cognito" else None
        self.api = Api(
            self,
            "Api",
            throttle_rate=settings.stage_throttle[0],
            throttle_burst=settings.stage_throttle[1],
            auth=settings.api_auth,
            log_retention_days=settings.log_retention_days,
            authorizer=self.sign_in.authorizer(self) if self.sign_in else None,
            caller_template={"cognito": COGNITO_CALLER, "apiKey": API_KEY_CALLER}.get(settings.api_auth, ""),
        )
        self.firewall = (
            ApiFirewall(
                self,
                "Firewall",
                stage_arn=self.api.rest_api.deployment_stage.stage_arn,
                max_capacity=settings.max_instances * settings.concurrent_generations_per_instance,
                log_retention=retention(settings.log_retention_days),
            )
            if settings.waf
            else None
        )
        if settings.is_open_to_anyone:
            Annotations.of(self).add_warning_v2("text2image:OpenToAnyone", OPEN_TO_ANYONE_WARNING)
        self.site = Site(
            self,
            "Site",
            site_bucket=buckets.site,
            image_bucket=buckets.images,
            log_bucket=buckets.cdn_logs,
            rest_api_id=self.api.rest_api.rest_api_id,
            page_config=self._page_config(),
        )
        self.buckets.allow_form_uploads_from_pages()
        self.api.add_routes(
            state_machine=self.workflow.state_machine,
            check_toxicity=self.functions.by_name["CheckToxicityApi"],
            jobs=self.functions.by_name["JobsApi"],
            verify=self.functions.by_name["VerifyApi"],
            site_origin=self.site.url,
        )
        self.monitoring = Monitoring(
            self,
            "Monitoring",
            rest_api=self.api.rest_api,
            access_logs=self.api.access_logs,
            state_machine=self.workflow.state_machine,
            job_state_machine=self.workflow.job_state_machine,
            execution_logs=self.workflow.log_group,
            functions=self.functions.by_name,
            endpoint_name=endpoint_name,
            inference_component_name=inference_component_name,
            alarm_email=settings.alarm_email,
        )
        self.budget = SpendBudget(
            self,
            "Budget",
            monthly_usd=settings.monthly_budget,
            tag_key=COST_TAG[0],
            tag_value=COST_TAG[1],
            topic=self.monitoring.topic,
            topic_key=self.monitoring.topic.master_key,
        )
        self._outputs()
        add_suppressions(self)

    def _grant(self, sdxl_endpoint_arn: str) -> None:
        """Each function's own actions on its own resources; no `*` actions."""
        images = self.buckets.images
        staged = images.arn_for_objects(f"{STAGING_PREFIX}*")
        published = images.arn_for_objects(f"{PUBLISHED_PREFIX}*")
        quarantined = images.arn_for_objects(f"{QUARANTINE_PREFIX}*")
        roles = self.functions.roles

        def allow(function: str, actions: list[str], resources: list[str]) -> None:
            roles[function].add_to_policy(iam.PolicyStatement(actions=actions, resources=resources))

        # Comprehend's detection APIs have no resource-level permissions.
        comprehend = ["comprehend:DetectDominantLanguage", "comprehend:DetectToxicContent"]
        allow("CheckPromptToxicity", comprehend, ["*"])
        allow("CheckToxicityApi", comprehend, ["*"])
        if self.settings.people != "allow":
            # Named people (PERSON entities) for the people rule; no resource-level permissions either.
            allow("CheckPromptToxicity", ["comprehend:DetectEntities"], ["*"])
            allow("CheckToxicityApi", ["comprehend:DetectEntities"], ["*"])
        if self.settings.translate_prompts:
            # TranslateText names no resource without custom terminology, so it takes `*`;
            # its `auto` source detection calls Comprehend's DetectDominantLanguage (granted above).
            allow("CheckPromptToxicity", ["translate:TranslateText"], ["*"])
            allow("CheckToxicityApi", ["translate:TranslateText"], ["*"])
        allow("GenerateImage", ["sagemaker:InvokeEndpoint"], [sdxl_endpoint_arn])
        allow("GenerateImage", ["s3:PutObject"], [staged])
        # Rekognition reads the staged object with the caller's credentials.
        allow("ModerateImage", ["rekognition:DetectModerationLabels"], ["*"])
        allow("ModerateImage", ["s3:GetObject"], [staged])
        if self.settings.people != "allow":
            # The people rule on the image: RecognizeCelebrities has no resource-level permissions
            # either, and reads the staged object with the caller's credentials.
            allow("RecognizeCelebrities", ["rekognition:RecognizeCelebrities"], ["*"])
            allow("RecognizeCelebrities", ["s3:GetObject"], [staged])
        if self.guardrail is not None:
            # ApplyGuardrail on this guardrail only; the image's bytes are read from staging.
            for function in ("ApplyGuardrailToPrompt", "ApplyGuardrailToImage"):
                allow(function, ["bedrock:ApplyGuardrail"], [self.guardrail.arn])
            allow("ApplyGuardrailToImage", ["s3:GetObject"], [staged])
        # Copy staged -> published, delete the staged copy, presign a GET of the published one.
        allow("StoreImage", ["s3:GetObject", "s3:DeleteObject"], [staged])
        allow("StoreImage", ["s3:PutObject", "s3:GetObject"], [published])
        # Read the staged image and put the marked one back under the same key; sign with the
        # provenance key only; read its certificate chain. VerifyApi reads the chain's root.
        allow("MarkProvenance", ["s3:GetObject", "s3:PutObject"], [staged])
        self.provenance.allow_signing(roles["MarkProvenance"])
        self.provenance.allow_reading_certificate(roles["VerifyApi"])
        # Images too large for API Gateway: sign the upload form (a presigned POST is checked
        # against the signer's PutObject), read the upload and delete it. No ListBucket, so a
        # missing key answers 403, which the function reads as an unknown upload.
        verify_uploads = images.arn_for_objects(f"{VERIFY_UPLOAD_PREFIX}*")
        allow("VerifyApi", ["s3:PutObject", "s3:GetObject", "s3:DeleteObject"], [verify_uploads])
        # Delete or quarantine the staged image; remove a half-published copy after a failure.
        allow("DiscardStagedImage", ["s3:GetObject", "s3:DeleteObject"], [staged])
        allow("DiscardStagedImage", ["s3:PutObject"], [quarantined])
        allow("DiscardStagedImage", ["s3:DeleteObject"], [published])
        # The semaphore: read the pool's item and change it with conditional updates, nothing else.
        slots = self.tables.by_spec[GENERATION_SLOTS].table_arn
        allow("AcquireGenerationSlot", ["dynamodb:GetItem", "dynamodb:UpdateItem"], [slots])
        allow("ReleaseGenerationSlot", ["dynamodb:GetItem", "dynamodb:UpdateItem"], [slots])
        # The live capacity: read this endpoint's fleet (nothing else), write the pool's item.
        allow("RefreshGenerationCapacity", ["dynamodb:UpdateItem"], [slots])
        allow("RefreshGenerationCapacity", ["sagemaker:DescribeEndpoint"], [sdxl_endpoint_arn])
        # Jobs: JobsApi creates them (conditional put) and counts the queue; RunJob claims and
        # finishes them; the workflow's functions only write a running job's stage.
        jobs = self.tables.by_spec[JOBS].table_arn
        allow("JobsApi", ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"], [jobs])
        allow("RunJob", ["dynamodb:GetItem", "dynamodb:UpdateItem"], [jobs])
        for reporter in ("CheckPromptToxicity", "AcquireGenerationSlot", "ModerateImage", "StoreImage"):
            allow(reporter, ["dynamodb:UpdateItem"], [jobs])
        # Idempotency-Keys of POST /generate: the claim is one conditional put (the holder comes
        # back with the failed condition), and a replayed approval is re-signed, so its URL
        # needs GetObject on published images; settling updates or deletes this run's own claim.
        keys = self.tables.by_spec[IDEMPOTENCY_KEYS].table_arn
        allow("ClaimIdempotencyKey", ["dynamodb:PutItem"], [keys])
        allow("ClaimIdempotencyKey", ["s3:GetObject"], [published])
        allow("SettleIdempotencyKey", ["dynamodb:UpdateItem", "dynamodb:DeleteItem"], [keys])
        # Admission: read the pause switch; reserve and refund the caller's images (one
        # conditional update each, and a read when the reservation is refused).
        quotas = self.tables.by_spec[DAILY_QUOTAS].table_arn
        allow("ReserveQuota", ["dynamodb:GetItem", "dynamodb:UpdateItem"], [quotas])
        allow("ReserveQuota", ["ssm:GetParameter"], [self.pause_switch.parameter.parameter_arn])

    def _page_config(self) -> dict[str, str]:
        """What the page reads from auth-config.json: how it signs in, if it must."""
        if self.sign_in is None:
            return {"auth": self.settings.api_auth}
        return {
            "auth": "cognito",
            "region": self.settings.region,
            "endpoint": f"https://cognito-idp.{self.settings.region}.amazonaws.com/",
            "userPoolId": self.sign_in.user_pool.user_pool_id,
            "clientId": self.sign_in.client.user_pool_client_id,
        }

    def _outputs(self) -> None:
        state_machine_arn = self.workflow.state_machine.state_machine_arn
        CfnOutput(
            self,
            "ProvenanceKeyArn",
            value=self.provenance.key.key_arn,
            description="The KMS key that signs Content Credentials (make provenance-cert certifies it)",
        )
        CfnOutput(
            self,
            "ProvenanceCertificateParameter",
            value=self.provenance.certificate_parameter,
            description="The SSM parameter holding the signing certificate chain",
        )
        CfnOutput(self, "SiteUrl", value=self.site.url, description="The page (CloudFront)")
        CfnOutput(
            self, "ApiUrl", value=self.api.url, description="The REST API stage; the page calls it as /api/"
        )
        CfnOutput(
            self, "GenerateUrl", value=f"{self.site.url}/api/generate", description="POST a prompt here"
        )
        CfnOutput(self, "StateMachineArn", value=state_machine_arn)
        CfnOutput(
            self,
            "ExecutionsConsoleUrl",
            value=(
                f"https://{Aws.REGION}.console.aws.amazon.com/states/home?region={Aws.REGION}"
                f"#/statemachines/view/{state_machine_arn}"
            ),
            description="The workflow's executions (from its CloudWatch log) in the Step Functions console",
        )
        CfnOutput(self, "ExecutionsLogGroup", value=self.workflow.log_group.log_group_name)
        CfnOutput(self, "ImageBucket", value=self.buckets.images.bucket_name)
        CfnOutput(
            self,
            "EndpointName",
            value=self.settings.existing_endpoint_name
            or (self.endpoint.endpoint_name if self.endpoint else ""),
        )
        CfnOutput(
            self,
            "PauseParameter",
            value=self.pause_switch.parameter.parameter_name,
            description="make pause / make resume flip it: 'paused' or 'running'",
        )
        if self.sign_in is not None:
            CfnOutput(self, "UserPoolId", value=self.sign_in.user_pool.user_pool_id)
            CfnOutput(self, "UserPoolClientId", value=self.sign_in.client.user_pool_client_id)
        if self.firewall is not None:
            CfnOutput(self, "WebAclArn", value=self.firewall.web_acl.attr_arn)
        if self.api.api_key is not None:
            CfnOutput(
                self,
                "ApiKeyId",
                value=self.api.api_key.key_id,
                description="aws apigateway get-api-key --include-value --api-key <id>",
            )
