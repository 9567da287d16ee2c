"""Queue-driven scaling: the endpoint's instances follow the backlog per instance.

RefreshGenerationCapacity publishes `BacklogPerInstance` (runs generating or waiting,
per instance in service) every minute, with the endpoint as its `pool` dimension.
Target tracking holds it at `BacklogScaling.target_backlog_per_instance`, scaling out
after two minutes and in after fifteen. An endpoint that scales to zero also gets a
step from zero: `HasBacklogWithoutCapacity` (runs waiting, no instance) adds one.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_applicationautoscaling as appscaling
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from constructs import Construct

from text2image.domain.capacity import (
    BACKLOG_PER_INSTANCE_METRIC,
    BACKLOG_WITHOUT_CAPACITY_METRIC,
    POOL_DIMENSION,
    BacklogScaling,
)
from text2image.observability import NAMESPACE, SERVICE


def capacity_metric(endpoint_name: str, metric_name: str, statistic: str = "Average") -> cloudwatch.Metric:
    """One of RefreshGenerationCapacity's metrics for this endpoint, per minute."""
    return cloudwatch.Metric(
        namespace=NAMESPACE,
        metric_name=metric_name,
        dimensions_map={"service": SERVICE, POOL_DIMENSION: endpoint_name},
        statistic=statistic,
        period=Duration.minutes(1),
    )


def scale_on_backlog(target: appscaling.ScalableTarget, endpoint_name: str, policy: BacklogScaling) -> None:
    """Target tracking on the backlog per instance, in slowly."""
    target.scale_to_track_metric(
        "BacklogPerInstance",
        target_value=policy.target_backlog_per_instance,
        custom_metric=capacity_metric(endpoint_name, BACKLOG_PER_INSTANCE_METRIC),
        scale_out_cooldown=Duration.seconds(policy.scale_out_cooldown_seconds),
        scale_in_cooldown=Duration.seconds(policy.scale_in_cooldown_seconds),
    )


def scale_out_from_zero_on_backlog(
    scope: Construct, target: appscaling.ScalableTarget, endpoint_name: str
) -> cloudwatch.Alarm:
    """One instance when runs wait and none serves: target tracking cannot start from zero."""
    step = appscaling.StepScalingAction(
        scope,
        "ScaleOutFromZeroOnBacklog",
        scaling_target=target,
        adjustment_type=appscaling.AdjustmentType.CHANGE_IN_CAPACITY,
        cooldown=Duration.minutes(5),
    )
    step.add_adjustment(adjustment=1, lower_bound=0)
    alarm = cloudwatch.Alarm(
        scope,
        "BacklogWithoutCapacity",
        metric=capacity_metric(endpoint_name, BACKLOG_WITHOUT_CAPACITY_METRIC, "Maximum"),
        threshold=1,
        evaluation_periods=1,
        comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        alarm_description="Runs wait for the SDXL endpoint and no instance serves: start one.",
    )
    alarm.add_alarm_action(cloudwatch_actions.ApplicationScalingAction(step))
    return alarm
