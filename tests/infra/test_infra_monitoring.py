"""The dashboard, the alarms and their topic, checked on the synthesized template."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from cdk.text2image_cdk.monitoring import (
    BUSY_STATUSES,
    CAPACITY_ERRORS,
    MODEL_ERRORS,
    THROTTLE_ERRORS,
    AlarmThresholds,
)
from repo_paths import ASL_FILE
from tests.infra.stack_fixtures import CUSTOM, SCALE_TO_ZERO, Synth, synthesize
from text2image import errors
from text2image.catalogue import FUNCTIONS
from text2image.contract import OUTCOME_RULES, Decision, Stage
from text2image.observability import (
    BUSY_REFUSALS_METRIC,
    NAMESPACE,
    QUEUE_DEPTH_METRIC,
    SLOT_WAIT_METRIC,
    rejection_metric_name,
)

WITH_EMAIL = {**CUSTOM, "alarmEmail": "ops@example.com"}


@pytest.fixture(scope="module")
def synth() -> Synth:
    return synthesize(CUSTOM)


@pytest.fixture(scope="module")
def with_email() -> Synth:
    return synthesize(WITH_EMAIL)


def resolve(value: Any) -> Any:
    """A template value with each Ref/GetAtt written as `<LogicalId>`, so Fn::Join strings can be read."""
    if isinstance(value, dict):
        if "Ref" in value:
            return f"<{value['Ref']}>"
        if "Fn::GetAtt" in value:
            return f"<{value['Fn::GetAtt'][0]}>"
        if "Fn::Join" in value:
            separator, parts = value["Fn::Join"]
            return separator.join(str(resolve(part)) for part in parts)
        return {key: resolve(item) for key, item in value.items()}
    if isinstance(value, list):
        return [resolve(item) for item in value]
    return value


def dashboard(synth: Synth) -> dict[str, Any]:
    _, resource = synth.one("AWS::CloudWatch::Dashboard")
    return json.loads(resolve(resource["Properties"]["DashboardBody"]))


def widget(synth: Synth, title_fragment: str) -> dict[str, Any]:
    (found,) = [
        w["properties"]
        for w in dashboard(synth)["widgets"]
        if title_fragment in w["properties"].get("title", "")
    ]
    return found


def plotted(properties: dict[str, Any]) -> list[tuple[str, ...]]:
    """(namespace, metric name, dimension values...) of each plotted metric, or the expression."""
    rows = []
    for row in properties["metrics"]:
        if isinstance(row[0], dict):
            rows.append((row[0]["expression"],))
        else:
            rows.append(tuple(item for item in row if isinstance(item, str)))
    return rows


def logical_id(synth: Synth, resource_type: str, prefix: str) -> str:
    (found,) = [k for k in synth.resources(resource_type) if k.startswith(prefix)]
    return found


# --- Widgets -----------------------------------------------------------------


def test_requests_by_status_come_from_a_filter_on_the_access_log_fields_the_stage_writes(
    synth: Synth,
) -> None:
    filters = {
        k: v["Properties"]
        for k, v in synth.resources("AWS::Logs::MetricFilter").items()
        if v["Properties"]["MetricTransformations"][0]["MetricName"] == "Responses"
    }
    (responses,) = filters.values()
    assert responses["LogGroupName"] == {"Ref": logical_id(synth, "AWS::Logs::LogGroup", "ApiAccessLogs")}
    (transformation,) = responses["MetricTransformations"]
    dimensions = {d["Key"]: d["Value"] for d in transformation["Dimensions"]}
    assert dimensions == {"route": "$.resourcePath", "status": "$.status"}
    # The stage's access log must write the fields the filter reads, or the graph is empty.
    _, stage = synth.one("AWS::ApiGateway::Stage")
    access_log = json.loads(stage["Properties"]["AccessLogSetting"]["Format"])
    assert access_log["status"] == "$context.status"
    assert access_log["resourcePath"] == "$context.resourcePath"
    # A SEARCH over the status dimension: a status a new outcome row adds appears with no edit.
    (row,) = plotted(widget(synth, "Requests by route and HTTP status"))
    namespace = transformation["MetricNamespace"]
    assert row[0].startswith(f"SEARCH('{{{namespace},route,status}} MetricName=\"Responses\"'")


def metric_filter(synth: Synth, metric_name: str) -> dict[str, Any]:
    (found,) = [
        v["Properties"]
        for v in synth.resources("AWS::Logs::MetricFilter").values()
        if v["Properties"]["MetricTransformations"][0]["MetricName"] == metric_name
    ]
    return found


def test_admission_is_plotted_queue_depth_busy_refusals_and_slot_wait_p50_p95(synth: Synth) -> None:
    properties = widget(synth, "Admission to the endpoint")
    rows = {row[1]: row for row in plotted(properties)}
    assert set(rows) == {QUEUE_DEPTH_METRIC, BUSY_REFUSALS_METRIC, SLOT_WAIT_METRIC}
    for row in properties["metrics"]:
        assert row[:4] == [NAMESPACE, row[1], "service", "text2image"]
    statistics = {
        (row[1], row[-1].get("stat", "Average"), row[-1].get("yAxis", "left"))
        for row in properties["metrics"]
    }
    assert statistics == {
        (QUEUE_DEPTH_METRIC, "Maximum", "left"),
        (BUSY_REFUSALS_METRIC, "Sum", "left"),
        (SLOT_WAIT_METRIC, "p50", "right"),
        (SLOT_WAIT_METRIC, "p95", "right"),
    }


def test_every_503_the_api_answers_is_a_deliberate_busy_refusal_counted_apart(synth: Synth) -> None:
    assert BUSY_STATUSES == (503,)
    for rule in OUTCOME_RULES:
        if rule.http_status in BUSY_STATUSES:
            # Busy, or paused by the operator: both refusals on purpose, neither a fault.
            assert rule.execution_status == "SUCCEEDED", rule
            assert rule.output_status in (Decision.BUSY, Decision.PAUSED), rule
    busy = metric_filter(synth, "BusyResponses")
    assert busy["LogGroupName"] == {"Ref": logical_id(synth, "AWS::Logs::LogGroup", "ApiAccessLogs")}
    assert busy["FilterPattern"] == '{ $.status = "503" }'
    assert "Dimensions" not in busy["MetricTransformations"][0]  # an alarm reads it


def test_the_endpoint_busy_and_starting_answers_end_the_run_successfully() -> None:
    # So ExecutionsFailed never counts them, and the alarm needs no correction for them.
    states = json.loads(ASL_FILE.read_text())["States"]
    for name in ("EndpointBusy", "EndpointStarting", "GenerationBusy"):
        assert states[name]["Type"] == "Pass", name
        assert states[name]["Parameters"]["status"] == Decision.BUSY, name
        # Past the Idempotency-Key's settle task, only a FAILED status ends the run failed.
        assert states[name]["Next"] == "ShouldSettleIdempotencyKey", name
    assert states["DidTheRunFail"]["Choices"] == [
        {"Variable": "$.status", "StringEquals": "FAILED", "Next": "RunFailed"}
    ]
    assert states[states["DidTheRunFail"]["Default"]]["Type"] == "Succeed"


def test_rejections_are_plotted_by_stage_and_by_label_from_the_functions_emf_metrics(synth: Synth) -> None:
    rows = plotted(widget(synth, "Rejections by stage"))
    for stage in Stage:
        assert (NAMESPACE, rejection_metric_name(stage), "service", "text2image") in rows
    assert any(
        'MetricName="RejectionsByLabel"' in row[0] and ",label,service,stage}" in row[0] for row in rows
    )


def test_latency_widgets_show_p50_and_p95_of_the_run_and_of_every_state(synth: Synth) -> None:
    machine = logical_id(synth, "AWS::StepFunctions::StateMachine", "WorkflowStateMachine")
    run = widget(synth, "Whole run")
    stats = {
        row[-1]["stat"] for row in run["metrics"] if row[1] == "ExecutionTime" and row[3] == f"<{machine}>"
    }
    assert stats == {"p50", "p95"}
    states = widget(synth, "Each state's function")
    for spec in FUNCTIONS:
        if spec.asl_placeholder is None:
            continue
        function = f"<{logical_id(synth, 'AWS::Lambda::Function', f'Functions{spec.name}')}>"
        stats = {row[-1]["stat"] for row in states["metrics"] if row[1] == "Duration" and row[3] == function}
        assert stats == {"p50", "p95"}, spec.name


def test_endpoint_widgets_show_invocations_latency_errors_and_gpu(synth: Synth) -> None:
    endpoint = f"<{logical_id(synth, 'AWS::SageMaker::Endpoint', 'SdxlEndpoint')}>"
    rows = plotted(widget(synth, "invocations and errors")) + plotted(widget(synth, "GPU"))
    names = {row[1] for row in rows if len(row) > 3 and row[2:5] == ("EndpointName", endpoint, "VariantName")}
    assert {"Invocations", "ModelLatency", "Invocation5XXErrors", "GPUUtilization"} <= names
    (gpu,) = [row for row in rows if len(row) > 1 and row[1] == "GPUUtilization"]
    assert gpu[0] == "/aws/sagemaker/Endpoints"


def test_with_an_inference_component_the_gpu_panel_reads_the_components_own_utilisation() -> None:
    """Such an endpoint reports utilisation per component, normalised to what it reserved;
    the instance-based panel (above) keeps /aws/sagemaker/Endpoints."""
    zero = synthesize(SCALE_TO_ZERO)
    _, component = zero.one("AWS::SageMaker::InferenceComponent")
    name = component["Properties"]["InferenceComponentName"]
    rows = plotted(widget(zero, "GPU"))
    assert {row[:4] for row in rows} == {
        ("/aws/sagemaker/InferenceComponents", metric, "InferenceComponentName", name)
        for metric in ("GPUUtilizationNormalized", "GPUMemoryUtilizationNormalized")
    }


def test_existing_endpoint_is_monitored_by_its_name() -> None:
    synth = synthesize({"existingEndpointName": "SDXL-From-Notebook"})
    rows = plotted(widget(synth, "invocations and errors"))
    assert (
        "AWS/SageMaker",
        "Invocations",
        "EndpointName",
        "SDXL-From-Notebook",
        "VariantName",
        "AllTraffic",
    ) in [row[:6] for row in rows]


def test_every_function_has_errors_and_throttles_plotted(synth: Synth) -> None:
    rows = plotted(widget(synth, "Lambda errors and throttles"))
    for spec in FUNCTIONS:
        function = f"<{logical_id(synth, 'AWS::Lambda::Function', f'Functions{spec.name}')}>"
        assert {row[1] for row in rows if row[3] == function} == {"Errors", "Throttles"}, spec.name


def test_throttling_and_model_errors_are_counted_by_the_workflows_own_error_names(synth: Synth) -> None:
    execution_log = logical_id(synth, "AWS::Logs::LogGroup", "WorkflowExecutions")
    counted = {}
    for properties in (v["Properties"] for v in synth.resources("AWS::Logs::MetricFilter").values()):
        match = re.fullmatch(r'\{ \$\.details\.error = "(\w+)" \}', properties["FilterPattern"])
        if match:
            assert properties["LogGroupName"] == {"Ref": execution_log}
            counted[match.group(1)] = properties
    assert set(counted) == {*THROTTLE_ERRORS, *MODEL_ERRORS, *CAPACITY_ERRORS}
    # Each is an error class the handlers raise: a renamed class would leave a silent graph.
    for name in counted:
        assert issubclass(getattr(errors, name), errors.WorkflowError), name
    rows = plotted(widget(synth, "Throttled calls"))
    assert {row[3] for row in rows} == set(THROTTLE_ERRORS)
    assert {"ComprehendThrottled", "RekognitionThrottled"} <= set(THROTTLE_ERRORS)


# --- Alarms and topic -----------------------------------------------------------


def alarms(synth: Synth) -> dict[str, dict[str, Any]]:
    return {
        re.sub(r"^Monitoring|[0-9A-F]{8}$", "", k): v["Properties"]
        for k, v in synth.resources("AWS::CloudWatch::Alarm").items()
    }


def metric_of(alarm: dict[str, Any], metric_id: str | None = None) -> dict[str, Any]:
    if "MetricName" in alarm:
        return alarm
    queries = {q["Id"]: q for q in alarm["Metrics"]}
    return queries[metric_id]["MetricStat"]["Metric"] if metric_id else queries


def test_seven_alarms_each_notify_the_topic(synth: Synth) -> None:
    found = alarms(synth)
    assert set(found) == {
        "ServerErrorRate",
        "RunLatencyP95",
        "EndpointModelErrors",
        "FailedExecutions",
        "RejectionRate",
        "JobRunnerErrors",
        "CapacityRefreshStale",
    }
    topic = logical_id(synth, "AWS::SNS::Topic", "MonitoringAlarmTopic")
    for name, alarm in found.items():
        assert alarm["AlarmActions"] == [{"Ref": topic}], name
        # Silence is normal for the others; for the refresh, silence is the fault.
        expected = "breaching" if name == "CapacityRefreshStale" else "notBreaching"
        assert alarm["TreatMissingData"] == expected, name


def test_a_capacity_refresh_that_stops_succeeding_for_ten_minutes_raises_an_alarm(synth: Synth) -> None:
    stale = alarms(synth)["CapacityRefreshStale"]
    refresh = logical_id(synth, "AWS::Lambda::Function", "FunctionsRefreshGenerationCapacity")
    for metric_id, metric_name in (("invocations", "Invocations"), ("errors", "Errors")):
        metric = metric_of(stale, metric_id)
        assert (metric["Namespace"], metric["MetricName"]) == ("AWS/Lambda", metric_name)
        assert metric["Dimensions"] == [{"Name": "FunctionName", "Value": {"Ref": refresh}}]
    expression = next(q for q in stale["Metrics"] if "Expression" in q)["Expression"]
    assert expression == "FILL(invocations, 0) - FILL(errors, 0)"
    assert (stale["Threshold"], stale["ComparisonOperator"]) == (1, "LessThanThreshold")
    # Five-minute periods, two of them; the schedule runs every minute.
    assert stale["EvaluationPeriods"] == 2
    assert {q["MetricStat"]["Period"] for q in stale["Metrics"] if "MetricStat" in q} == {300}


def test_alarm_thresholds(synth: Synth) -> None:
    found = alarms(synth)
    defaults = AlarmThresholds()
    latency = found["RunLatencyP95"]
    assert (latency["MetricName"], latency["ExtendedStatistic"]) == ("ExecutionTime", "p95")
    assert latency["Threshold"] == 20_000 == defaults.run_p95_seconds * 1000

    rate = found["ServerErrorRate"]
    expression = next(q for q in rate["Metrics"] if "Expression" in q)["Expression"]
    # 503 Busy answers are taken out of the 5xx count.
    assert expression == (
        "IF(requests >= 5 AND (FILL(errors, 0) - FILL(busy, 0)) > 0, "
        "100 * (FILL(errors, 0) - FILL(busy, 0)) / requests, 0)"
    )
    assert metric_of(rate, "errors")["MetricName"] == "5XXError"
    assert metric_of(rate, "busy")["MetricName"] == "BusyResponses"
    assert rate["Threshold"] == defaults.server_error_percent

    model = found["EndpointModelErrors"]
    assert metric_of(model, "endpoint")["MetricName"] == "Invocation5XXErrors"
    assert metric_of(model, "workflow")["Dimensions"] == [{"Name": "error", "Value": "ModelError"}]
    assert (model["Threshold"], model["ComparisonOperator"]) == (0, "GreaterThanThreshold")

    failed = found["FailedExecutions"]
    # Both machines: a job run that fails wakes someone as a sync run does.
    machines = {
        "": logical_id(synth, "AWS::StepFunctions::StateMachine", "WorkflowStateMachine"),
        "job_": logical_id(synth, "AWS::StepFunctions::StateMachine", "WorkflowJobStateMachine"),
    }
    for prefix, machine in machines.items():
        for kind, metric_name in (
            ("failed", "ExecutionsFailed"),
            ("timed_out", "ExecutionsTimedOut"),
            ("aborted", "ExecutionsAborted"),
        ):
            metric = metric_of(failed, f"{prefix}{kind}")
            assert metric["MetricName"] == metric_name
            assert metric["Dimensions"] == [{"Name": "StateMachineArn", "Value": {"Ref": machine}}]
    # Runs answered 400 for an invalid request are taken out; nothing else is, since a
    # busy or starting endpoint ends the run successfully (503 from a Pass state).
    assert metric_of(failed, "invalid")["MetricName"] == "InvalidRequestRuns"
    assert "noCapacity" not in metric_of(failed)
    expression = next(q for q in failed["Metrics"] if "Expression" in q)["Expression"]
    ended_badly = (
        "FILL(failed, 0) + FILL(timed_out, 0) + FILL(aborted, 0) + FILL(job_failed, 0) "
        "+ FILL(job_timed_out, 0) + FILL(job_aborted, 0) - FILL(invalid, 0)"
    )
    assert expression == f"IF(({ended_badly}) > 0, {ended_badly}, 0)"
    invalid = metric_filter(synth, "InvalidRequestRuns")
    assert invalid["LogGroupName"] == {"Ref": logical_id(synth, "AWS::Logs::LogGroup", "WorkflowExecutions")}
    assert (
        invalid["FilterPattern"] == '{ ($.type = "ExecutionFailed") && ($.details.error = "InvalidRequest") }'
    )

    rejection = found["RejectionRate"]
    assert {metric_of(rejection, "checked")["MetricName"]} == {"PromptsChecked"}
    assert {metric_of(rejection, f"r{i}")["MetricName"] for i in range(len(Stage))} == {
        rejection_metric_name(stage) for stage in Stage
    }
    assert rejection["Threshold"] == defaults.rejection_percent
    assert rejection["EvaluationPeriods"] == 3

    runner = found["JobRunnerErrors"]
    assert (runner["MetricName"], runner["Namespace"]) == ("Errors", "AWS/Lambda")
    run_job = logical_id(synth, "AWS::Lambda::Function", "FunctionsRunJob")
    assert runner["Dimensions"] == [{"Name": "FunctionName", "Value": {"Ref": run_job}}]
    assert (runner["Threshold"], runner["ComparisonOperator"]) == (0, "GreaterThanThreshold")


def test_alarm_topic_is_encrypted_with_a_rotated_key_cloudwatch_may_use_and_refuses_plain_http(
    synth: Synth,
) -> None:
    _, topic = synth.one("AWS::SNS::Topic")
    key_id = logical_id(synth, "AWS::KMS::Key", "MonitoringAlarmTopicKey")
    assert topic["Properties"]["KmsMasterKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}
    key = synth.resources("AWS::KMS::Key")[key_id]["Properties"]
    assert key["EnableKeyRotation"] is True
    cloudwatch = [
        s for s in key["KeyPolicy"]["Statement"] if s["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    ]
    assert cloudwatch and set(cloudwatch[0]["Action"]) == {"kms:Decrypt", "kms:GenerateDataKey*"}
    _, policy = synth.one("AWS::SNS::TopicPolicy")
    (deny,) = [s for s in policy["Properties"]["PolicyDocument"]["Statement"] if s["Effect"] == "Deny"]
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_email_subscription_only_when_an_address_is_given(synth: Synth, with_email: Synth) -> None:
    assert synth.resources("AWS::SNS::Subscription") == {}
    _, subscription = with_email.one("AWS::SNS::Subscription")
    assert subscription["Properties"]["Protocol"] == "email"
    assert subscription["Properties"]["Endpoint"] == "ops@example.com"


def test_a_malformed_alarm_email_fails_the_synth_naming_the_context_key() -> None:
    from cdk.text2image_cdk.settings import SettingsError

    with pytest.raises(SettingsError, match="alarmEmail"):
        synthesize({"alarmEmail": "not an address"})


def test_dashboard_url_is_a_stack_output(synth: Synth) -> None:
    url = resolve(synth.template["Outputs"]["DashboardUrl"]["Value"])
    dashboard_id = logical_id(synth, "AWS::CloudWatch::Dashboard", "MonitoringDashboard")
    assert url == (
        "https://<AWS::Region>.console.aws.amazon.com/cloudwatch/home?region=<AWS::Region>"
        f"#dashboards/dashboard/<{dashboard_id}>"
    )


def test_job_runs_are_plotted_started_ended_badly_and_p95(synth: Synth) -> None:
    properties = widget(synth, "Job runs")
    names = sorted(row[1] for row in plotted(properties))
    assert names == sorted(
        ["ExecutionsStarted", "ExecutionsFailed", "ExecutionsTimedOut", "ExecutionsAborted", "ExecutionTime"]
    )
    # Every one is the job machine's, none the sync machine's.
    job_machine = logical_id(synth, "AWS::StepFunctions::StateMachine", "WorkflowJobStateMachine")
    assert {row[3] for row in properties["metrics"]} == {f"<{job_machine}>"}


def test_the_dashboard_shows_capacity_backlog_and_instances_side_by_side(synth: Synth) -> None:
    rows = plotted(widget(synth, "Capacity follows the fleet"))
    names = {row[1] for row in rows}
    assert names == {"InstancesInService", "GenerationCapacity", "BacklogPerInstance"}
    assert all(row[0] == "Text2Image" and "pool" in row for row in rows)
