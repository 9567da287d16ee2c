"""The SDXL endpoint as an inference component that can scale to zero (`-c minInstances=0`).

A real-time endpoint bills every hour it has an instance. An endpoint that hosts
inference components can drop to none: the endpoint config's managed instance
scaling may go down to `MinInstanceCount` 0, and the component's copy count is an
Application Auto Scaling target with a minimum of 0.
- Scale in and out: target tracking on the backlog per instance (backlog_scaling.py)
  removes the last copy after a quiet spell, and managed instance scaling then
  releases the instance.
- Scale out from zero: target tracking cannot (no copy), so a step policy adds one
  copy when runs wait with no copy (`HasBacklogWithoutCapacity`), or when an
  invocation found none (`NoCapacityInvocationFailures`); a new instance then
  boots and loads SDXL, which takes minutes. Until then every invocation fails
  with no capacity, and the sync API answers 503 (see docs/deploy.md, "What it costs").
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_applicationautoscaling as appscaling
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from text2image.domain.capacity import BacklogScaling

from .backlog_scaling import scale_on_backlog, scale_out_from_zero_on_backlog

# SDXL needs the instance's one A10G and about 13 GB of weights in memory while it loads.
ACCELERATORS_PER_COPY = 1
MEMORY_PER_COPY_MB = 16_384
WEIGHTS_LOAD_TIMEOUT_SECONDS = 1800
NO_CAPACITY_METRIC = "NoCapacityInvocationFailures"


class ScaleToZeroEndpoint(Construct):
    """Endpoint + endpoint config with managed instance scaling down to 0 + one inference component."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        endpoint_name: str,
        model: sagemaker.CfnModel,
        role: iam.IRole,
        variant_name: str,
        instance_type: str,
        max_instances: int,
        scaling_policy: BacklogScaling,
    ) -> None:
        super().__init__(scope, construct_id)
        config = sagemaker.CfnEndpointConfig(
            self,
            "Config",
            # Inference-component endpoints name the role on the config, not the model in the variant.
            execution_role_arn=role.role_arn,
            production_variants=[
                sagemaker.CfnEndpointConfig.ProductionVariantProperty(
                    variant_name=variant_name,
                    instance_type=instance_type,
                    initial_instance_count=1,
                    managed_instance_scaling=sagemaker.CfnEndpointConfig.ManagedInstanceScalingProperty(
                        status="ENABLED", min_instance_count=0, max_instance_count=max_instances
                    ),
                    routing_config=sagemaker.CfnEndpointConfig.RoutingConfigProperty(
                        routing_strategy="LEAST_OUTSTANDING_REQUESTS"
                    ),
                )
            ],
        )
        config.node.add_dependency(role)
        self.endpoint = sagemaker.CfnEndpoint(
            self,
            "Endpoint",
            endpoint_name=endpoint_name,
            endpoint_config_name=config.attr_endpoint_config_name,
        )
        self.endpoint_name: str = self.endpoint.attr_endpoint_name
        # A fixed name: the functions' environment, the scaling target and the IAM grant use it.
        self.inference_component_name = f"{endpoint_name}-component"
        self.component = sagemaker.CfnInferenceComponent(
            self,
            # Not "Component": that one hosted SDXL on the endpoint as it was named before
            # (<stack>-sdxl). No property of a component is create-only, so CloudFormation would
            # try to update it onto the renamed endpoint; a new id creates a new one there instead.
            "SdxlComponent",
            inference_component_name=self.inference_component_name,
            endpoint_name=self.endpoint_name,
            variant_name=variant_name,
            specification=sagemaker.CfnInferenceComponent.InferenceComponentSpecificationProperty(
                model_name=model.attr_model_name,
                compute_resource_requirements=sagemaker.CfnInferenceComponent.InferenceComponentComputeResourceRequirementsProperty(
                    number_of_accelerator_devices_required=ACCELERATORS_PER_COPY,
                    min_memory_required_in_mb=MEMORY_PER_COPY_MB,
                ),
                startup_parameters=sagemaker.CfnInferenceComponent.InferenceComponentStartupParametersProperty(
                    model_data_download_timeout_in_seconds=WEIGHTS_LOAD_TIMEOUT_SECONDS,
                    container_startup_health_check_timeout_in_seconds=WEIGHTS_LOAD_TIMEOUT_SECONDS,
                ),
            ),
            # One copy at creation proves the model loads; it scales in to 0 when idle.
            runtime_config=sagemaker.CfnInferenceComponent.InferenceComponentRuntimeConfigProperty(
                copy_count=1
            ),
        )

        # One copy per instance (one GPU each): copies and instances scale together.
        self.scaling = appscaling.ScalableTarget(
            self,
            "CopyScaling",
            service_namespace=appscaling.ServiceNamespace.SAGEMAKER,
            resource_id=f"inference-component/{self.inference_component_name}",
            scalable_dimension="sagemaker:inference-component:DesiredCopyCount",
            min_capacity=0,
            max_capacity=max_instances,
        )
        self.scaling.node.add_dependency(self.component)
        scale_on_backlog(self.scaling, endpoint_name, scaling_policy)
        self.backlog_alarm = scale_out_from_zero_on_backlog(self, self.scaling, endpoint_name)
        scale_out = appscaling.StepScalingAction(
            self,
            "ScaleOutFromZero",
            scaling_target=self.scaling,
            adjustment_type=appscaling.AdjustmentType.CHANGE_IN_CAPACITY,
            cooldown=Duration.minutes(5),
        )
        scale_out.add_adjustment(adjustment=1, lower_bound=0)
        self.no_capacity_alarm = cloudwatch.Alarm(
            self,
            "NoCapacity",
            metric=self.no_capacity_metric(),
            threshold=1,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            alarm_description="An invocation found no SDXL copy: add one (scale out from zero).",
        )
        self.no_capacity_alarm.add_alarm_action(cloudwatch_actions.ApplicationScalingAction(scale_out))

    def no_capacity_metric(self) -> cloudwatch.Metric:
        return cloudwatch.Metric(
            namespace="AWS/SageMaker",
            metric_name=NO_CAPACITY_METRIC,
            dimensions_map={"InferenceComponentName": self.inference_component_name},
            statistic="Maximum",
            period=Duration.minutes(1),
        )

    @property
    def component_arn(self) -> str:
        return self.component.attr_inference_component_arn
