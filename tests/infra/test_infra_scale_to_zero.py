"""-c minInstances=0: SDXL as an inference component that scales to zero; the default keeps a warm variant."""

from __future__ import annotations

from typing import Any

import pytest

from tests.infra.stack_fixtures import CUSTOM, SCALE_TO_ZERO, Synth, synthesize
from tests.infra.test_infra_monitoring import plotted, widget


@pytest.fixture(scope="module")
def warm() -> Synth:
    return synthesize(CUSTOM)


@pytest.fixture(scope="module")
def zero() -> Synth:
    return synthesize(SCALE_TO_ZERO)


def only(synth: Synth, resource_type: str) -> dict[str, Any]:
    return synth.one(resource_type)[1]["Properties"]


def invoke_endpoint_resources(synth: Synth) -> list[Any]:
    (policy,) = [
        p["Properties"]
        for k, p in synth.resources("AWS::IAM::Policy").items()
        if k.startswith("FunctionsGenerateImageRole")
    ]
    return [
        statement["Resource"]
        for statement in policy["PolicyDocument"]["Statement"]
        if statement["Action"] == "sagemaker:InvokeEndpoint"
    ]


def test_default_mode_keeps_a_warm_variant_with_no_inference_component(warm: Synth) -> None:
    assert warm.resources("AWS::SageMaker::InferenceComponent") == {}
    (variant,) = only(warm, "AWS::SageMaker::EndpointConfig")["ProductionVariants"]
    assert variant["InitialInstanceCount"] == CUSTOM["minInstances"]
    assert "ManagedInstanceScaling" not in variant
    target = only(warm, "AWS::ApplicationAutoScaling::ScalableTarget")
    assert (target["ScalableDimension"], target["MinCapacity"]) == (
        "sagemaker:variant:DesiredInstanceCount",
        2,
    )
    assert warm.function("GenerateImage")["Environment"]["Variables"]["INFERENCE_COMPONENT_NAME"] == ""
    assert len(invoke_endpoint_resources(warm)) == 1


def test_scale_to_zero_lets_managed_instance_scaling_go_down_to_no_instance(zero: Synth) -> None:
    config = only(zero, "AWS::SageMaker::EndpointConfig")
    (variant,) = config["ProductionVariants"]
    assert variant["ManagedInstanceScaling"] == {
        "Status": "ENABLED",
        "MinInstanceCount": 0,
        "MaxInstanceCount": 3,
    }
    assert "ModelName" not in variant  # the model lives in the component
    # An inference-component endpoint names the endpoint's role on the config.
    assert config["ExecutionRoleArn"]["Fn::GetAtt"][0].startswith("SdxlRole")


def test_the_component_hosts_sdxl_on_one_gpu_and_scales_its_copies_down_to_zero(zero: Synth) -> None:
    component = only(zero, "AWS::SageMaker::InferenceComponent")
    specification = component["Specification"]
    assert specification["ModelName"]["Fn::GetAtt"][0].startswith("SdxlModel")
    assert specification["ComputeResourceRequirements"]["NumberOfAcceleratorDevicesRequired"] == 1
    assert specification["StartupParameters"]["ModelDataDownloadTimeoutInSeconds"] >= 900
    target = only(zero, "AWS::ApplicationAutoScaling::ScalableTarget")
    assert target["ResourceId"] == f"inference-component/{component['InferenceComponentName']}"
    assert target["ScalableDimension"] == "sagemaker:inference-component:DesiredCopyCount"
    assert (target["MinCapacity"], target["MaxCapacity"]) == (0, 3)


def steps_by_alarm(zero: Synth) -> dict[str, tuple[dict[str, Any], dict[str, Any]]]:
    """Each alarm's metric name -> (the alarm, the step policy it triggers)."""
    policies = zero.resources("AWS::ApplicationAutoScaling::ScalingPolicy")
    found = {}
    for alarm in zero.resources("AWS::CloudWatch::Alarm").values():
        actions = alarm["Properties"].get("AlarmActions", [])
        for action in actions:
            if isinstance(action, dict) and action.get("Ref") in policies:
                found[alarm["Properties"]["MetricName"]] = (
                    alarm["Properties"],
                    policies[action["Ref"]]["Properties"],
                )
    return found


def test_the_copies_track_the_backlog_per_instance(zero: Synth) -> None:
    (tracking,) = [
        p["Properties"]["TargetTrackingScalingPolicyConfiguration"]
        for p in zero.resources("AWS::ApplicationAutoScaling::ScalingPolicy").values()
        if p["Properties"]["PolicyType"] == "TargetTrackingScaling"
    ]
    metric = tracking["CustomizedMetricSpecification"]
    assert (metric["Namespace"], metric["MetricName"]) == ("Text2Image", "BacklogPerInstance")
    assert tracking["ScaleInCooldown"] == 900


def test_runs_waiting_with_no_copy_or_an_invocation_that_finds_none_trigger_a_step_that_adds_one(
    zero: Synth,
) -> None:
    steps = steps_by_alarm(zero)
    assert set(steps) == {"NoCapacityInvocationFailures", "HasBacklogWithoutCapacity"}
    for alarm, step in steps.values():
        assert step["StepScalingPolicyConfiguration"]["AdjustmentType"] == "ChangeInCapacity"
        assert step["StepScalingPolicyConfiguration"]["StepAdjustments"] == [
            {"MetricIntervalLowerBound": 0, "ScalingAdjustment": 1}
        ]
        assert (alarm["Threshold"], alarm["ComparisonOperator"]) == (1, "GreaterThanOrEqualToThreshold")
    component = only(zero, "AWS::SageMaker::InferenceComponent")["InferenceComponentName"]
    no_copy, _ = steps["NoCapacityInvocationFailures"]
    assert no_copy["Dimensions"] == [{"Name": "InferenceComponentName", "Value": component}]
    backlog, _ = steps["HasBacklogWithoutCapacity"]
    assert {"Name": "pool", "Value": only(zero, "AWS::SageMaker::Endpoint")["EndpointName"]} in backlog[
        "Dimensions"
    ]


def test_the_capacity_function_may_describe_only_this_component(zero: Synth) -> None:
    resources = [
        statement["Resource"]
        for policy in zero.resources("AWS::IAM::Policy").values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if statement["Action"] == "sagemaker:DescribeInferenceComponent"
    ]
    assert resources == [
        {"Fn::GetAtt": [zero.one("AWS::SageMaker::InferenceComponent")[0], "InferenceComponentArn"]}
    ]


def test_the_generate_function_invokes_the_component_by_name_and_may_invoke_only_it(zero: Synth) -> None:
    component = only(zero, "AWS::SageMaker::InferenceComponent")["InferenceComponentName"]
    assert zero.function("GenerateImage")["Environment"]["Variables"]["INFERENCE_COMPONENT_NAME"] == component
    resources = invoke_endpoint_resources(zero)
    assert len(resources) == 2
    assert {
        "Fn::GetAtt": [zero.one("AWS::SageMaker::InferenceComponent")[0], "InferenceComponentArn"]
    } in resources


def test_the_dashboard_shows_invocations_that_found_no_capacity(zero: Synth, warm: Synth) -> None:
    component = only(zero, "AWS::SageMaker::InferenceComponent")["InferenceComponentName"]
    rows = plotted(widget(zero, "invocations and errors"))
    assert (
        "AWS/SageMaker",
        "NoCapacityInvocationFailures",
        "InferenceComponentName",
        component,
    ) in [row[:4] for row in rows]
    assert all(
        "NoCapacityInvocationFailures" not in row for row in plotted(widget(warm, "invocations and errors"))
    )


def test_min_instances_below_zero_is_refused() -> None:
    from cdk.text2image_cdk.settings import SettingsError

    with pytest.raises(SettingsError, match="minInstances must be at least 0"):
        synthesize({"minInstances": -1})


# Resources whose physical name is create-only: CloudFormation replaces one by creating the
# new resource before deleting the old, so a replacement that keeps the name collides.
NAMED: dict[str, str] = {
    "AWS::SageMaker::Endpoint": "EndpointName",
    "AWS::SageMaker::InferenceComponent": "InferenceComponentName",
}


def physical_names(synth: Synth) -> dict[str, str]:
    """Physical name -> logical id of every SageMaker resource that is named."""
    return {
        resource["Properties"][name_property]: logical_id
        for resource_type, name_property in NAMED.items()
        for logical_id, resource in synth.resources(resource_type).items()
    }


@pytest.mark.parametrize("before, after", [("warm", "zero"), ("zero", "warm")])
def test_switching_min_instances_never_creates_a_resource_under_a_name_the_old_one_still_holds(
    before: str, after: str, request: pytest.FixtureRequest
) -> None:
    """The update that switches modes: a name both templates use must belong to the same
    logical id (updated in place); a resource under a new logical id needs a new name."""
    old = physical_names(request.getfixturevalue(before))
    new = physical_names(request.getfixturevalue(after))
    assert new and old
    for name, logical_id in new.items():
        assert old.get(name, logical_id) == logical_id, (
            f"{name!r} moves from {old[name]} to {logical_id}: the update would create it while "
            "the old one still exists"
        )
