"""The SDXL 1.0 real-time endpoint (JumpStart artifacts), or an existing one by name."""

from __future__ import annotations

from aws_cdk import ArnFormat, Aws, Stack, Token
from aws_cdk import aws_applicationautoscaling as appscaling
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from text2image.domain.capacity import BacklogScaling

from .backlog_scaling import scale_on_backlog
from .jumpstart import CONTAINER_ENVIRONMENT, JumpStartArtifacts
from .scale_to_zero import ScaleToZeroEndpoint

VARIANT = "AllTraffic"


def sdxl_endpoint_name(stack_name: str, *, scales_to_zero: bool) -> str:
    """The endpoint's physical name, one per hosting mode: `<stack>-sdxl` with instances,
    `<stack>-sdxl-ic` with an inference component (minInstances=0).

    Switching modes replaces the endpoint: each mode builds it in its own construct, and an
    in-place UpdateEndpoint between a config with a model and one hosting components is not
    something CloudFormation or SageMaker document. A replacement is created before the old
    endpoint is deleted, and EndpointName is create-only, so one name for both modes would
    collide and roll the update back. Lower case: IAM matches endpoint ARNs in lower case.
    """
    return f"{stack_name}-sdxl{'-ic' if scales_to_zero else ''}".lower()


class JumpStartSdxlEndpoint(Construct):
    """A SageMaker endpoint serving JumpStart SDXL 1.0, scaled on the backlog per instance."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        artifacts: JumpStartArtifacts,
        instance_type: str,
        min_instances: int,
        max_instances: int,
        scaling_policy: BacklogScaling,
    ) -> None:
        super().__init__(scope, construct_id)
        # Least privilege, instead of AmazonSageMakerFullAccess: pull this image,
        # read these weights, write the endpoint's own logs and metrics.
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"),
            description="SDXL endpoint: pulls the JumpStart container and weights, writes its logs.",
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                actions=[
                    "ecr:BatchCheckLayerAvailability",
                    "ecr:BatchGetImage",
                    "ecr:GetDownloadUrlForLayer",
                ],
                resources=[artifacts.image_repository_arn],
            )
        )
        self.role.add_to_policy(iam.PolicyStatement(actions=["ecr:GetAuthorizationToken"], resources=["*"]))
        self.role.add_to_policy(
            iam.PolicyStatement(
                actions=["s3:GetObject"],
                resources=[
                    f"arn:{Aws.PARTITION}:s3:::{artifacts.model_data_bucket}/{artifacts.model_data_key}"
                ],
            )
        )
        # SageMaker names the endpoint's log groups itself: /aws/sagemaker/Endpoints/<name>.
        self.log_groups_arn = Stack.of(self).format_arn(
            service="logs",
            resource="log-group",
            resource_name="/aws/sagemaker/Endpoints/*",
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                actions=[
                    "logs:CreateLogGroup",
                    "logs:CreateLogStream",
                    "logs:DescribeLogStreams",
                    "logs:PutLogEvents",
                ],
                resources=[self.log_groups_arn],
            )
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                actions=["cloudwatch:PutMetricData"],
                resources=["*"],
                conditions={
                    "StringLike": {"cloudwatch:namespace": ["/aws/sagemaker/Endpoints", "AWS/SageMaker"]}
                },
            )
        )

        model = sagemaker.CfnModel(
            self,
            "Model",
            execution_role_arn=self.role.role_arn,
            # The weights come in the model data: the container needs no network.
            enable_network_isolation=True,
            primary_container=sagemaker.CfnModel.ContainerDefinitionProperty(
                image=artifacts.image_uri,
                model_data_url=artifacts.model_data_url,
                environment=dict(CONTAINER_ENVIRONMENT),
            ),
        )
        # The role's policy must exist before SageMaker validates the model with it.
        model.node.add_dependency(self.role)
        # minInstances=0: an inference component that can scale to zero instead.
        self.inference_component_name: str | None = None
        self.scale_to_zero: ScaleToZeroEndpoint | None = None
        physical_name = sdxl_endpoint_name(Stack.of(self).stack_name, scales_to_zero=min_instances == 0)
        if min_instances == 0:
            self.scale_to_zero = ScaleToZeroEndpoint(
                self,
                "ScaleToZero",
                endpoint_name=physical_name,
                model=model,
                role=self.role,
                variant_name=VARIANT,
                instance_type=instance_type,
                max_instances=max_instances,
                scaling_policy=scaling_policy,
            )
            self.endpoint = self.scale_to_zero.endpoint
            self.endpoint_name = self.scale_to_zero.endpoint_name
            self.inference_component_name = self.scale_to_zero.inference_component_name
            return
        config = sagemaker.CfnEndpointConfig(
            self,
            "Config",
            production_variants=[
                sagemaker.CfnEndpointConfig.ProductionVariantProperty(
                    variant_name=VARIANT,
                    model_name=model.attr_model_name,
                    instance_type=instance_type,
                    initial_instance_count=min_instances,
                    initial_variant_weight=1.0,
                    # About 13 GB of weights to download and load onto the GPU.
                    model_data_download_timeout_in_seconds=1800,
                    container_startup_health_check_timeout_in_seconds=1800,
                )
            ],
        )
        # A new config within this mode is an in-place update of the endpoint (UpdateEndpoint),
        # so the fixed name is no obstacle there.
        self.endpoint = sagemaker.CfnEndpoint(
            self,
            "Endpoint",
            endpoint_name=physical_name,
            endpoint_config_name=config.attr_endpoint_config_name,
        )
        # Everything else names the endpoint through this attribute, never by the string.
        self.endpoint_name: str = self.endpoint.attr_endpoint_name

        scaling = appscaling.ScalableTarget(
            self,
            "Scaling",
            service_namespace=appscaling.ServiceNamespace.SAGEMAKER,
            resource_id=f"endpoint/{self.endpoint_name}/variant/{VARIANT}",
            scalable_dimension="sagemaker:variant:DesiredInstanceCount",
            min_capacity=min_instances,
            max_capacity=max_instances,
        )
        scaling.node.add_dependency(self.endpoint)
        # Not on InvocationsPerInstance: the admission lets through at most what the instances
        # serve, so invocations per instance cannot tell a busy endpoint from an overloaded one.
        scale_on_backlog(scaling, self.endpoint_name, scaling_policy)
        self.scaling = scaling


def endpoint_arn(scope: Construct, endpoint_name: str) -> str:
    # Endpoint ARNs carry the name in lower case.
    name = endpoint_name if Token.is_unresolved(endpoint_name) else endpoint_name.lower()
    return Stack.of(scope).format_arn(service="sagemaker", resource="endpoint", resource_name=name)
