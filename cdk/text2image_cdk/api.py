"""The REST API: `POST /generate` straight to StartSyncExecution, `POST /check-toxicity` to its function."""

from __future__ import annotations

import json
from typing import Any

from aws_cdk import RemovalPolicy
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from text2image.contract import (
    CHECK_TOXICITY_REQUEST_SCHEMA,
    GENERATE_REQUEST_SCHEMA,
    JOB_REQUEST_SCHEMA,
    UNAUTHORIZED_BODY,
    VERIFY_MEDIA_TYPES,
)
from text2image.domain.idempotency import IDEMPOTENCY_HEADER

from .functions import retention
from .outcome_templates import (
    HTTP_STATUSES,
    INVALID_BODY_TEMPLATE,
    RETRY_AFTER_STATUSES,
    START_FAILED_TEMPLATE,
    generate_response_template,
    start_request_template,
)
from .settings import ApiAuth

# The stage name is the path prefix the page calls under the site's own origin.
STAGE_NAME = "api"
JSON = "application/json"
ALLOW_ORIGIN = "method.response.header.Access-Control-Allow-Origin"
RETRY_AFTER = "method.response.header.Retry-After"
# Verification is for anyone, whatever `apiAuth` guards generation with: its two methods
# are public, and throttled apart (per method, on top of the WAF's per-address rate rule),
# since each call may read a 10 MB image on a whole vCPU.
VERIFY_METHODS = ("/verify/POST", "/verify/uploads/POST")
VERIFY_RATE_PER_SECOND = 5
VERIFY_BURST = 10


def json_schema(schema: dict[str, Any]) -> apigw.JsonSchema:
    """The contract's draft-4 schema dict as CDK's JsonSchema (snake_case keywords)."""
    keywords = {
        "$schema": "schema",
        "additionalProperties": "additional_properties",
        "minLength": "min_length",
        "maxLength": "max_length",
    }
    arguments: dict[str, Any] = {}
    for key, value in schema.items():
        name = keywords.get(key, key)
        if key == "$schema":
            value = apigw.JsonSchemaVersion.DRAFT4
        elif key == "type":
            value = apigw.JsonSchemaType(value.upper())
        elif key == "properties":
            value = {prop: json_schema(sub) for prop, sub in value.items()}
        elif key == "enum":
            value = list(value)
        arguments[name] = value
    return apigw.JsonSchema(**arguments)


class Api(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        throttle_rate: float,
        throttle_burst: int,
        auth: ApiAuth,
        log_retention_days: int,
        authorizer: apigw.IAuthorizer | None = None,
        caller_template: str = "",
    ) -> None:
        super().__init__(scope, construct_id)
        self.auth = auth
        # Cognito: every route but /verify needs a signed-in user's ID token.
        self.authorizer = authorizer
        self.public_methods: list[apigw.Method] = []
        # VTL naming the authenticated caller for the execution input (empty: none).
        self.caller_template = caller_template
        self.methods: list[apigw.Method] = []
        self.access_logs = logs.LogGroup(
            self, "AccessLogs", retention=retention(log_retention_days), removal_policy=RemovalPolicy.DESTROY
        )
        self.rest_api = apigw.RestApi(
            self,
            "RestApi",
            description="Responsible text-to-image: moderated SDXL generation",
            endpoint_types=[apigw.EndpointType.REGIONAL],
            # API Gateway needs an account-level role to write execution logs.
            cloud_watch_role=True,
            cloud_watch_role_removal_policy=RemovalPolicy.DESTROY,
            deploy_options=apigw.StageOptions(
                stage_name=STAGE_NAME,
                throttling_rate_limit=throttle_rate,
                throttling_burst_limit=throttle_burst,
                access_log_destination=apigw.LogGroupLogDestination(self.access_logs),
                access_log_format=apigw.AccessLogFormat.json_with_standard_fields(
                    caller=True,
                    http_method=True,
                    ip=True,
                    protocol=True,
                    request_time=True,
                    resource_path=True,
                    response_length=True,
                    status=True,
                    user=True,
                ),
                logging_level=apigw.MethodLoggingLevel.ERROR,
                data_trace_enabled=False,
                metrics_enabled=True,
                tracing_enabled=True,
                method_options={
                    path: apigw.MethodDeploymentOptions(
                        throttling_rate_limit=VERIFY_RATE_PER_SECOND, throttling_burst_limit=VERIFY_BURST
                    )
                    for path in VERIFY_METHODS
                },
            ),
        )
        self.validator = self.rest_api.add_request_validator(
            "Validator",
            request_validator_name="body-and-parameters",
            validate_request_body=True,
            validate_request_parameters=True,
        )
        self.models = {
            "GenerateRequest": self.rest_api.add_model(
                "GenerateRequest",
                content_type=JSON,
                model_name="GenerateRequest",
                schema=json_schema(GENERATE_REQUEST_SCHEMA),
            ),
            "JobRequest": self.rest_api.add_model(
                "JobRequest",
                content_type=JSON,
                model_name="JobRequest",
                schema=json_schema(JOB_REQUEST_SCHEMA),
            ),
            "CheckToxicityRequest": self.rest_api.add_model(
                "CheckToxicityRequest",
                content_type=JSON,
                model_name="CheckToxicityRequest",
                schema=json_schema(CHECK_TOXICITY_REQUEST_SCHEMA),
            ),
        }
        if auth == "apiKey":
            plan = self.rest_api.add_usage_plan(
                "UsagePlan",
                throttle=apigw.ThrottleSettings(rate_limit=throttle_rate, burst_limit=throttle_burst),
            )
            self.api_key: apigw.IApiKey | None = self.rest_api.add_api_key("ApiKey")
            plan.add_api_key(self.api_key)
            plan.add_api_stage(stage=self.rest_api.deployment_stage)
        else:
            self.api_key = None

    @property
    def url(self) -> str:
        return self.rest_api.url

    def _method_options(self, model: str | None, *, public: bool = False) -> dict[str, Any]:
        if public:
            return {
                "request_validator": self.validator,
                "authorization_type": apigw.AuthorizationType.NONE,
                "api_key_required": False,
            }
        return {
            "request_validator": self.validator,
            "request_models": {JSON: self.models[model]} if model else None,
            "authorization_type": {
                "iam": apigw.AuthorizationType.IAM,
                "cognito": apigw.AuthorizationType.COGNITO,
            }.get(self.auth, apigw.AuthorizationType.NONE),
            "authorizer": self.authorizer if self.auth == "cognito" else None,
            "api_key_required": self.auth == "apiKey",
        }

    def add_routes(
        self,
        *,
        state_machine: sfn.IStateMachine,
        check_toxicity: lambda_.IFunction,
        jobs: lambda_.IFunction,
        verify: lambda_.IFunction,
        site_origin: str,
    ) -> None:
        """The routes; `site_origin` is the only origin CORS allows (the page's own)."""
        cors = apigw.CorsOptions(
            allow_origins=[site_origin],
            allow_methods=["GET", "POST", "OPTIONS"],
            allow_headers=[
                "Content-Type",
                "Idempotency-Key",
                "X-Api-Key",
                "Authorization",
                "X-Amz-Date",
                "X-Amz-Security-Token",
            ],
        )
        self._add_generate(state_machine, site_origin, cors)
        self._add_check_toxicity(check_toxicity, cors)
        self._add_jobs(jobs, cors)
        self._add_verify(verify, cors)
        for response_type in (apigw.ResponseType.DEFAULT_4_XX, apigw.ResponseType.DEFAULT_5_XX):
            self.rest_api.add_gateway_response(
                f"Gateway{response_type.response_type}",
                type=response_type,
                response_headers={"Access-Control-Allow-Origin": f"'{site_origin}'"},
            )
        # No token, or an expired or forged one: the same body the local API answers.
        self.rest_api.add_gateway_response(
            "Unauthorized",
            type=apigw.ResponseType.UNAUTHORIZED,
            status_code="401",
            response_headers={"Access-Control-Allow-Origin": f"'{site_origin}'"},
            templates={JSON: json.dumps(UNAUTHORIZED_BODY)},
        )
        self.rest_api.add_gateway_response(
            "InvalidBody",
            type=apigw.ResponseType.BAD_REQUEST_BODY,
            status_code="400",
            response_headers={"Access-Control-Allow-Origin": f"'{site_origin}'"},
            templates={JSON: INVALID_BODY_TEMPLATE},
        )

    def _add_generate(
        self, state_machine: sfn.IStateMachine, site_origin: str, cors: apigw.CorsOptions
    ) -> None:
        role = iam.Role(
            self,
            "StartSyncExecutionRole",
            assumed_by=iam.ServicePrincipal("apigateway.amazonaws.com"),
            description="POST /generate: starts the text2image workflow, nothing else.",
        )
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["states:StartSyncExecution"], resources=[state_machine.state_machine_arn]
            )
        )
        headers = {ALLOW_ORIGIN: f"'{site_origin}'"}
        integration = apigw.AwsIntegration(
            service="states",
            action="StartSyncExecution",
            integration_http_method="POST",
            options=apigw.IntegrationOptions(
                credentials_role=role,
                passthrough_behavior=apigw.PassthroughBehavior.NEVER,
                request_templates={
                    JSON: start_request_template(state_machine.state_machine_arn, self.caller_template)
                },
                integration_responses=[
                    # StartSyncExecution answers 200 however the run ended: the
                    # template maps the run's status by the outcome table.
                    apigw.IntegrationResponse(
                        status_code="200",
                        response_templates={JSON: generate_response_template()},
                        response_parameters=headers,
                    ),
                    # The call itself failed (throttled, denied): no run happened.
                    apigw.IntegrationResponse(
                        selection_pattern=r"[45]\d{2}",
                        status_code="502",
                        response_templates={JSON: START_FAILED_TEMPLATE},
                        response_parameters=headers,
                    ),
                ],
            ),
        )
        resource = self.rest_api.root.add_resource("generate", default_cors_preflight_options=cors)
        method = resource.add_method(
            "POST",
            integration,
            method_responses=[
                apigw.MethodResponse(
                    status_code=str(status),
                    response_parameters={ALLOW_ORIGIN: True}
                    | ({RETRY_AFTER: True} if status in RETRY_AFTER_STATUSES else {}),
                )
                for status in HTTP_STATUSES
            ],
            # Optional; the request template passes it on to the run (see start_request_template).
            request_parameters={f"method.request.header.{IDEMPOTENCY_HEADER}": False},
            **self._method_options("GenerateRequest"),
        )
        self.methods.append(method)

    def _add_check_toxicity(self, function: lambda_.IFunction, cors: apigw.CorsOptions) -> None:
        resource = self.rest_api.root.add_resource("check-toxicity", default_cors_preflight_options=cors)
        # Proxy integration: the function's Powertools resolver shapes the answer.
        method = resource.add_method(
            "POST",
            apigw.LambdaIntegration(function, proxy=True, allow_test_invoke=False),
            **self._method_options("CheckToxicityRequest"),
        )
        self.methods.append(method)

    def _add_verify(self, function: lambda_.IFunction, cors: apigw.CorsOptions) -> None:
        """POST /verify: the image's raw bytes, passed to the function base64-encoded, or an upload's id."""
        cfn_api = self.rest_api.node.default_child
        assert isinstance(cfn_api, apigw.CfnRestApi)
        cfn_api.binary_media_types = list(VERIFY_MEDIA_TYPES)
        resource = self.rest_api.root.add_resource("verify", default_cors_preflight_options=cors)
        integration = apigw.LambdaIntegration(function, proxy=True, allow_test_invoke=False)
        # POST /verify/uploads: an S3 form for an image larger than a Lambda payload takes
        # (6 MB base64-encoded); POST /verify then names the upload. Same function, same access.
        uploads = resource.add_resource("uploads", default_cors_preflight_options=cors)
        for route in (resource, uploads):
            method = route.add_method("POST", integration, **self._method_options(None, public=True))
            self.methods.append(method)
            self.public_methods.append(method)

    def _add_jobs(self, function: lambda_.IFunction, cors: apigw.CorsOptions) -> None:
        """POST /jobs (validated by its request model) and GET /jobs/{job_id}, both to JobsApi."""
        collection = self.rest_api.root.add_resource("jobs", default_cors_preflight_options=cors)
        integration = apigw.LambdaIntegration(function, proxy=True, allow_test_invoke=False)
        self.methods.append(collection.add_method("POST", integration, **self._method_options("JobRequest")))
        job = collection.add_resource("{job_id}")
        self.methods.append(job.add_method("GET", integration, **self._method_options(None)))
