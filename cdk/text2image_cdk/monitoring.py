"""What the service is doing, and who is woken when it breaks: one dashboard, six alarms, one topic.

Every number comes from a metric AWS or the functions already publish, or from a
metric filter on a log the stack already writes:
- answers by route and HTTP status: a filter on the API's access log (one
  `Responses` metric per status, so a status a new outcome row or route adds,
  e.g. 503 or 429, appears on the graph with no edit here);
- rejections by stage and label, and admission to the endpoint (queue depth,
  wait for a slot, busy refusals): the functions' EMF metrics (observability.py);
- service throttling and model errors as the workflow saw them: a filter on the
  execution log for each error class the ASL retries or catches (errors.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from aws_cdk import Aws, CfnOutput, Duration, Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from text2image.catalogue import FUNCTIONS
from text2image.contract import INVALID_REQUEST_ERROR, OUTCOME_RULES, Decision, Stage
from text2image.domain.capacity import (
    BACKLOG_PER_INSTANCE_METRIC,
    GENERATION_CAPACITY_METRIC,
    INSTANCES_IN_SERVICE_METRIC,
)
from text2image.observability import (
    BUSY_REFUSALS_METRIC,
    NAMESPACE,
    QUEUE_DEPTH_METRIC,
    SERVICE,
    SLOT_WAIT_METRIC,
    rejection_metric_name,
)

from .backlog_scaling import capacity_metric
from .endpoint import VARIANT

PERIOD = Duration.minutes(5)
# Error classes (errors.py) counted from the execution log: what each dependency
# threw at the workflow, before the ASL's retries.
THROTTLE_ERRORS: tuple[str, ...] = (
    "ComprehendThrottled",
    "RekognitionThrottled",
    "EndpointThrottled",
    "StorageThrottled",
)
MODEL_ERRORS: tuple[str, ...] = ("ModelError", "InvalidModelOutput")
# A scaled-to-zero endpoint refusing while a copy starts (minInstances=0): expected, not a
# failure. The ASL answers it 503 Busy from a Pass state (EndpointStarting), so the run succeeds.
CAPACITY_ERRORS: tuple[str, ...] = ("EndpointNoCapacity",)
RESPONSES_METRIC = "Responses"
# The HTTP status of a deliberate refusal for lack of capacity (503 Busy with Retry-After):
# an answer, not a server error, so the 5xx-rate alarm leaves it out.
BUSY_STATUSES: tuple[int, ...] = tuple(
    sorted({rule.http_status for rule in OUTCOME_RULES if rule.output_status == Decision.BUSY})
)
BUSY_RESPONSES_METRIC = "BusyResponses"
# A run that ends failed because the request was invalid: a 400, not a failure of the service.
INVALID_REQUESTS_METRIC = "InvalidRequestRuns"
WORKFLOW_ERRORS_METRIC = "WorkflowErrors"
SAGEMAKER_ENDPOINT_NAMESPACE = "/aws/sagemaker/Endpoints"
# An endpoint that hosts inference components reports each component's utilisation here,
# normalised to 0-100 % of what the component reserved (SageMaker guide, "Monitor with CloudWatch").
SAGEMAKER_INFERENCE_COMPONENT_NAMESPACE = "/aws/sagemaker/InferenceComponents"
INFERENCE_COMPONENT_GPU_METRICS: tuple[str, ...] = (
    "GPUUtilizationNormalized",
    "GPUMemoryUtilizationNormalized",
)


RUN_JOB_FUNCTION = "RunJob"
REFRESH_CAPACITY_FUNCTION = "RefreshGenerationCapacity"
# Periods without one successful capacity refresh before the alarm: two (10 minutes),
# so one failed minute or a late schedule does not wake anyone.
STALE_CAPACITY_PERIODS = 2


def ended_badly_metrics(machine: sfn.StateMachine) -> dict[str, cloudwatch.Metric]:
    """A machine's runs that ended badly, by how (the ids of the alarm's expression)."""
    return {
        "failed": machine.metric_failed(period=PERIOD, statistic="Sum"),
        "timed_out": machine.metric_timed_out(period=PERIOD, statistic="Sum"),
        "aborted": machine.metric_aborted(period=PERIOD, statistic="Sum"),
    }


@dataclass(frozen=True)
class AlarmThresholds:
    """Where each alarm fires. Percentages are of the requests in one 5-minute period."""

    server_error_percent: float = 5.0
    # Requests below this count in a period never raise the 5xx-rate alarm: one
    # failed request out of two is noise, not an outage.
    min_requests: int = 5
    run_p95_seconds: float = 20.0
    rejection_percent: float = 50.0
    min_prompts: int = 10


class Monitoring(Construct):
    """The `Text2Image` dashboard and the alarms, with an encrypted SNS topic for them."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        rest_api: apigw.RestApi,
        access_logs: logs.ILogGroup,
        state_machine: sfn.StateMachine,
        job_state_machine: sfn.StateMachine,
        execution_logs: logs.ILogGroup,
        functions: Mapping[str, lambda_.IFunction],
        endpoint_name: str,
        inference_component_name: str | None = None,
        alarm_email: str | None = None,
        thresholds: AlarmThresholds = AlarmThresholds(),
    ) -> None:
        super().__init__(scope, construct_id)
        self.thresholds = thresholds
        # The derived metrics live under the stack's name, so two stacks in one
        # account do not add up into one graph.
        self.namespace = f"{NAMESPACE}/{Stack.of(self).stack_name}"
        self._responses_filter(access_logs)
        self._workflow_error_filters(execution_logs)
        self._invalid_request_filter(execution_logs)

        self.topic = self._topic(alarm_email)
        self.alarms = self._alarms(rest_api, (state_machine, job_state_machine), functions, endpoint_name)
        for alarm in self.alarms.values():
            alarm.add_alarm_action(actions.SnsAction(self.topic))

        self.dashboard = cloudwatch.Dashboard(
            self,
            "Dashboard",
            dashboard_name=f"{Stack.of(self).stack_name}-{Aws.REGION}",
            default_interval=Duration.hours(3),
        )
        self._widgets(
            rest_api, state_machine, job_state_machine, functions, endpoint_name, inference_component_name
        )
        CfnOutput(
            Stack.of(self),
            "DashboardUrl",
            value=(
                f"https://{Aws.REGION}.console.aws.amazon.com/cloudwatch/home?region={Aws.REGION}"
                f"#dashboards/dashboard/{self.dashboard.dashboard_name}"
            ),
            description="CloudWatch dashboard: requests, rejections, latency, endpoint, errors",
        )
        CfnOutput(Stack.of(self), "AlarmTopicArn", value=self.topic.topic_arn)

    # --- Metrics derived from logs ------------------------------------------

    def _responses_filter(self, access_logs: logs.ILogGroup) -> None:
        # The access log is JSON with `status` and `resourcePath` (api.py).
        logs.MetricFilter(
            self,
            "ResponsesByStatus",
            log_group=access_logs,
            filter_pattern=logs.FilterPattern.exists("$.status"),
            metric_namespace=self.namespace,
            metric_name=RESPONSES_METRIC,
            metric_value="1",
            dimensions={"route": "$.resourcePath", "status": "$.status"},
        )
        # The same answers without dimensions, for the 5xx-rate alarm (an alarm cannot SEARCH).
        # The access log writes `status` as a string.
        logs.MetricFilter(
            self,
            "BusyResponsesFilter",
            log_group=access_logs,
            filter_pattern=logs.FilterPattern.any(
                *(logs.FilterPattern.string_value("$.status", "=", str(status)) for status in BUSY_STATUSES)
            ),
            metric_namespace=self.namespace,
            metric_name=BUSY_RESPONSES_METRIC,
            metric_value="1",
        )

    def _workflow_error_filters(self, execution_logs: logs.ILogGroup) -> None:
        # Lambda task failures are logged with the error's class name in
        # details.error (level ALL); retried attempts are logged too.
        for error in (*THROTTLE_ERRORS, *MODEL_ERRORS, *CAPACITY_ERRORS):
            logs.MetricFilter(
                self,
                f"{error}Filter",
                log_group=execution_logs,
                filter_pattern=logs.FilterPattern.string_value("$.details.error", "=", error),
                metric_namespace=self.namespace,
                metric_name=WORKFLOW_ERRORS_METRIC,
                metric_value="1",
                dimensions={"error": "$.details.error"},
            )

    def _invalid_request_filter(self, execution_logs: logs.ILogGroup) -> None:
        # One event per run that ended failed with InvalidRequest (answered 400).
        logs.MetricFilter(
            self,
            "InvalidRequestRunsFilter",
            log_group=execution_logs,
            filter_pattern=logs.FilterPattern.all(
                logs.FilterPattern.string_value("$.type", "=", "ExecutionFailed"),
                logs.FilterPattern.string_value("$.details.error", "=", INVALID_REQUEST_ERROR),
            ),
            metric_namespace=self.namespace,
            metric_name=INVALID_REQUESTS_METRIC,
            metric_value="1",
        )

    def derived(self, metric_name: str) -> cloudwatch.Metric:
        """A metric of this stack's own filters, without dimensions."""
        return cloudwatch.Metric(
            namespace=self.namespace, metric_name=metric_name, statistic="Sum", period=PERIOD
        )

    def workflow_error(self, error: str) -> cloudwatch.Metric:
        return cloudwatch.Metric(
            namespace=self.namespace,
            metric_name=WORKFLOW_ERRORS_METRIC,
            dimensions_map={"error": error},
            statistic="Sum",
            period=PERIOD,
            label=error,
        )

    def responses_by_status(self) -> cloudwatch.SearchExpression:
        return cloudwatch.SearchExpression(
            expression=(
                f"SEARCH('{{{self.namespace},route,status}} MetricName=\"{RESPONSES_METRIC}\"', 'Sum', 300)"
            ),
            label="",
            period=PERIOD,
        )

    # --- The functions' EMF metrics ------------------------------------------

    @staticmethod
    def emf(metric_name: str, label: str | None = None, statistic: str = "Sum") -> cloudwatch.Metric:
        return cloudwatch.Metric(
            namespace=NAMESPACE,
            metric_name=metric_name,
            dimensions_map={"service": SERVICE},
            statistic=statistic,
            period=PERIOD,
            label=label or metric_name,
        )

    def rejection_rate(self) -> cloudwatch.MathExpression:
        rejections = {f"r{i}": self.emf(rejection_metric_name(stage)) for i, stage in enumerate(Stage)}
        total = " + ".join(f"FILL({name}, 0)" for name in rejections)
        return cloudwatch.MathExpression(
            expression=f"IF(checked >= {self.thresholds.min_prompts}, 100 * ({total}) / checked, 0)",
            using_metrics={**rejections, "checked": self.emf("PromptsChecked")},
            label="Rejected, % of checked prompts",
            period=PERIOD,
        )

    # --- Alarms ----------------------------------------------------------------

    def _topic(self, alarm_email: str | None) -> sns.Topic:
        # CloudWatch cannot publish to a topic under the AWS-managed SNS key:
        # a key of our own, which CloudWatch may use.
        key = kms.Key(
            self,
            "AlarmTopicKey",
            description="Encrypts the text2image alarm topic",
            enable_key_rotation=True,
        )
        key.grant(iam.ServicePrincipal("cloudwatch.amazonaws.com"), "kms:Decrypt", "kms:GenerateDataKey*")
        topic = sns.Topic(
            self, "AlarmTopic", display_name="text2image alarms", master_key=key, enforce_ssl=True
        )
        if alarm_email:
            topic.add_subscription(subscriptions.EmailSubscription(alarm_email))
        return topic

    def _alarms(
        self,
        rest_api: apigw.RestApi,
        state_machines: tuple[sfn.StateMachine, sfn.StateMachine],
        functions: Mapping[str, lambda_.IFunction],
        endpoint_name: str,
    ) -> dict[str, cloudwatch.Alarm]:
        t = self.thresholds
        # 503 Busy is a deliberate answer (Retry-After), not a server error.
        server_errors = "FILL(errors, 0) - FILL(busy, 0)"
        server_error_rate = cloudwatch.MathExpression(
            expression=(
                f"IF(requests >= {t.min_requests} AND ({server_errors}) > 0, "
                f"100 * ({server_errors}) / requests, 0)"
            ),
            using_metrics={
                "errors": rest_api.metric_server_error(period=PERIOD, statistic="Sum"),
                "busy": self.derived(BUSY_RESPONSES_METRIC),
                "requests": rest_api.metric_count(period=PERIOD, statistic="Sum"),
            },
            label="5xx other than 503 Busy, % of requests",
            period=PERIOD,
        )
        model_errors = cloudwatch.MathExpression(
            expression="FILL(endpoint, 0) + FILL(workflow, 0)",
            using_metrics={
                "endpoint": self.endpoint_metric(endpoint_name, "Invocation5XXErrors"),
                "workflow": self.workflow_error("ModelError"),
            },
            label="Model errors (endpoint 5xx + ModelError in the workflow)",
            period=PERIOD,
        )
        # Busy refusals (a full queue, a throttled or scaled-to-zero endpoint) end in
        # Pass states: those runs succeed and are not counted here. A run failed for an
        # invalid request is answered 400: not a failure to wake anyone for. Both machines
        # count (sync runs and job runs); they log to one group, so `invalid` covers both.
        state_machine, job_state_machine = state_machines
        runs = {
            f"{prefix}{kind}": metric
            for prefix, machine in (("", state_machine), ("job_", job_state_machine))
            for kind, metric in ended_badly_metrics(machine).items()
        }
        ended_badly = " + ".join(f"FILL({run}, 0)" for run in runs) + " - FILL(invalid, 0)"
        failed = cloudwatch.MathExpression(
            expression=f"IF(({ended_badly}) > 0, {ended_badly}, 0)",
            using_metrics=runs | {"invalid": self.derived(INVALID_REQUESTS_METRIC)},
            label="Failed, timed-out and aborted runs, sync and jobs (not invalid requests, not 503 Busy)",
            period=PERIOD,
        )
        run_job = functions[RUN_JOB_FUNCTION]
        specs: dict[str, tuple[cloudwatch.IMetric, float, int, str]] = {
            "ServerErrorRate": (
                server_error_rate,
                t.server_error_percent,
                1,
                f"More than {t.server_error_percent}% of API requests answered 5xx in 5 minutes.",
            ),
            "RunLatencyP95": (
                state_machine.metric_time(period=PERIOD, statistic="p95"),
                t.run_p95_seconds * 1000,
                2,
                f"p95 of a whole run above {t.run_p95_seconds} s for 10 minutes: the 29 s API limit is near.",
            ),
            "EndpointModelErrors": (
                model_errors,
                0,
                1,
                "The SDXL endpoint failed an invocation (5xx or ModelError).",
            ),
            "FailedExecutions": (
                failed,
                0,
                1,
                "A run (sync or job) failed, timed out or was aborted (rejections are not failures).",
            ),
            "JobRunnerErrors": (
                run_job.metric_errors(period=PERIOD, statistic="Sum"),
                0,
                1,
                f"{RUN_JOB_FUNCTION} failed: a job may stay RUNNING until it is declared lost.",
            ),
            "RejectionRate": (
                self.rejection_rate(),
                t.rejection_percent,
                3,
                f"More than {t.rejection_percent}% of checked prompts rejected for 15 minutes "
                "(abuse, or a broken model or threshold).",
            ),
        }
        alarms = {
            name: cloudwatch.Alarm(
                self,
                name,
                metric=metric,
                threshold=threshold,
                evaluation_periods=periods,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
                alarm_description=description,
            )
            for name, (metric, threshold, periods, description) in specs.items()
        }
        alarms["CapacityRefreshStale"] = self._stale_capacity_alarm(functions[REFRESH_CAPACITY_FUNCTION])
        return alarms

    def _stale_capacity_alarm(self, refresh: lambda_.IFunction) -> cloudwatch.Alarm:
        """Admission's capacity is only as fresh as its last refresh: no successful refresh in
        10 minutes (errors, or no invocation at all: a missing schedule is missing data,
        which breaches here) means slots no longer follow the instances in service."""
        succeeded = cloudwatch.MathExpression(
            expression="FILL(invocations, 0) - FILL(errors, 0)",
            using_metrics={
                "invocations": refresh.metric_invocations(period=PERIOD, statistic="Sum"),
                "errors": refresh.metric_errors(period=PERIOD, statistic="Sum"),
            },
            label="Successful capacity refreshes",
            period=PERIOD,
        )
        return cloudwatch.Alarm(
            self,
            "CapacityRefreshStale",
            metric=succeeded,
            threshold=1,
            evaluation_periods=STALE_CAPACITY_PERIODS,
            comparison_operator=cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.BREACHING,
            alarm_description=(
                f"{REFRESH_CAPACITY_FUNCTION} has not succeeded for 10 minutes: admission's capacity no "
                "longer follows the endpoint's instances in service."
            ),
        )

    # --- Dashboard -------------------------------------------------------------

    @staticmethod
    def endpoint_metric(
        endpoint_name: str,
        metric_name: str,
        statistic: str = "Sum",
        namespace: str = "AWS/SageMaker",
        dimensions: Mapping[str, str] | None = None,
    ) -> cloudwatch.Metric:
        return cloudwatch.Metric(
            namespace=namespace,
            metric_name=metric_name,
            dimensions_map=dict(dimensions or {"EndpointName": endpoint_name, "VariantName": VARIANT}),
            statistic=statistic,
            period=PERIOD,
            label=f"{metric_name} {statistic}",
        )

    def _widgets(
        self,
        rest_api: apigw.RestApi,
        state_machine: sfn.StateMachine,
        job_state_machine: sfn.StateMachine,
        functions: Mapping[str, lambda_.IFunction],
        endpoint_name: str,
        inference_component_name: str | None,
    ) -> None:
        def graph(title: str, left: list[cloudwatch.IMetric], **options: object) -> cloudwatch.GraphWidget:
            options.setdefault("width", 12)
            return cloudwatch.GraphWidget(title=title, left=left, height=6, **options)  # type: ignore[arg-type]

        def alarm_widget(name: str) -> cloudwatch.AlarmWidget:
            return cloudwatch.AlarmWidget(title=name, alarm=self.alarms[name], width=8, height=5)

        by_state = [functions[spec.name] for spec in FUNCTIONS if spec.asl_placeholder]
        endpoint = [
            self.endpoint_metric(endpoint_name, "Invocations"),
            self.endpoint_metric(endpoint_name, "Invocation4XXErrors"),
            self.endpoint_metric(endpoint_name, "Invocation5XXErrors"),
            self.workflow_error("ModelError"),
        ]
        if inference_component_name:
            endpoint.extend(self.workflow_error(error) for error in CAPACITY_ERRORS)
            endpoint.append(
                self.endpoint_metric(
                    endpoint_name,
                    "NoCapacityInvocationFailures",
                    dimensions={"InferenceComponentName": inference_component_name},
                )
            )
        if inference_component_name:
            gpu = [
                self.endpoint_metric(
                    endpoint_name,
                    metric_name,
                    "Average",
                    SAGEMAKER_INFERENCE_COMPONENT_NAMESPACE,
                    dimensions={"InferenceComponentName": inference_component_name},
                )
                for metric_name in INFERENCE_COMPONENT_GPU_METRICS
            ]
        else:
            gpu = [
                self.endpoint_metric(endpoint_name, metric_name, "Average", SAGEMAKER_ENDPOINT_NAMESPACE)
                for metric_name in ("GPUUtilization", "GPUMemoryUtilization")
            ]
        self.dashboard.add_widgets(
            graph(
                "Requests by route and HTTP status",
                [self.responses_by_status()],
                stacked=True,
            ),
            graph(
                "Rejections by stage, and by stage and label",
                [
                    *(self.emf(rejection_metric_name(stage)) for stage in Stage),
                    cloudwatch.SearchExpression(
                        expression=(
                            f'SEARCH(\'{{{NAMESPACE},label,service,stage}} MetricName="RejectionsByLabel" '
                            f"service=\"{SERVICE}\"', 'Sum', 300)"
                        ),
                        label="",
                        period=PERIOD,
                    ),
                ],
                right=[self.rejection_rate()],
            ),
        )
        self.dashboard.add_widgets(
            graph(
                "Whole run: p50 / p95 (ms)",
                [
                    state_machine.metric_time(period=PERIOD, statistic="p50", label="run p50"),
                    state_machine.metric_time(period=PERIOD, statistic="p95", label="run p95"),
                ],
                left_annotations=[
                    cloudwatch.HorizontalAnnotation(
                        value=self.thresholds.run_p95_seconds * 1000, label="p95 alarm"
                    )
                ],
            ),
            graph(
                "Each state's function: p50 / p95 (ms)",
                [
                    function.metric_duration(period=PERIOD, statistic=statistic, label=f"{name} {statistic}")
                    for name, function in ((f.node.id, f) for f in by_state)
                    for statistic in ("p50", "p95")
                ],
            ),
        )
        self.dashboard.add_widgets(
            graph(
                "SDXL endpoint: invocations and errors",
                endpoint,
                right=[self.endpoint_metric(endpoint_name, "ModelLatency", "p95")],
            ),
            graph("SDXL endpoint: GPU utilisation (%)", gpu),
        )
        self.dashboard.add_widgets(
            graph(
                "Lambda errors and throttles",
                [
                    metric
                    for function in functions.values()
                    for metric in (
                        function.metric_errors(period=PERIOD, label=f"{function.node.id} errors"),
                        function.metric_throttles(period=PERIOD, label=f"{function.node.id} throttles"),
                    )
                ],
            ),
            graph(
                "Throttled calls seen by the workflow (before retries)",
                [self.workflow_error(error) for error in THROTTLE_ERRORS],
            ),
        )
        self.dashboard.add_widgets(
            graph(
                "Capacity follows the fleet: instances in service, generation slots; backlog per instance",
                [
                    capacity_metric(endpoint_name, INSTANCES_IN_SERVICE_METRIC).with_(
                        label="instances in service"
                    ),
                    capacity_metric(endpoint_name, GENERATION_CAPACITY_METRIC).with_(
                        label="generation slots (capacity)"
                    ),
                ],
                right=[
                    capacity_metric(endpoint_name, BACKLOG_PER_INSTANCE_METRIC).with_(
                        label="backlog per instance (scaling target)"
                    )
                ],
                width=24,
            ),
        )
        self.dashboard.add_widgets(
            graph(
                "Admission to the endpoint: queue depth and busy refusals; wait for a slot (s)",
                [
                    self.emf(QUEUE_DEPTH_METRIC, "queue depth (max)", "Maximum"),
                    self.emf(BUSY_REFUSALS_METRIC, "busy refusals (503)"),
                ],
                right=[
                    self.emf(SLOT_WAIT_METRIC, f"slot wait {statistic}", statistic)
                    for statistic in ("p50", "p95")
                ],
            ),
            graph(
                "Job runs: started and ended badly; whole run p95 (ms)",
                [
                    job_state_machine.metric_started(
                        period=PERIOD, statistic="Sum", label="job runs started"
                    ),
                    *(
                        metric.with_(label=f"job runs {kind}")
                        for kind, metric in ended_badly_metrics(job_state_machine).items()
                    ),
                ],
                right=[job_state_machine.metric_time(period=PERIOD, statistic="p95", label="job run p95")],
            ),
        )
        self.dashboard.add_widgets(*(alarm_widget(name) for name in self.alarms))
