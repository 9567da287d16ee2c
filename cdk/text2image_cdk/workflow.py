"""The Express state machine: the ASL file, unchanged but for its `${...}` placeholders."""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import ArnFormat, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from text2image.catalogue import FUNCTIONS, asl_substitutions
from text2image.domain.jobs import JOB_STATE_MACHINE_SUFFIX, job_definition

from .functions import retention
from .paths import ASL_FILE


class Workflow(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        functions: Mapping[str, lambda_.IFunction],
        log_retention_days: int,
        guardrail: bool = False,
    ) -> None:
        super().__init__(scope, construct_id)
        # Express keeps no history: executions are inspected from this log group.
        # The /aws/vendedlogs/ prefix keeps CloudWatch's resource policy small.
        self.log_group = logs.LogGroup(
            self,
            "Executions",
            log_group_name=f"/aws/vendedlogs/states/{Stack.of(self).stack_name}-text2image",
            retention=retention(log_retention_days),
            removal_policy=RemovalPolicy.DESTROY,
        )
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("states.amazonaws.com"),
            description="text2image workflow: invokes its own functions only.",
        )
        # The ASL calls unqualified ARNs, so no `:*` version wildcard is needed.
        self.role.add_to_policy(
            iam.PolicyStatement(
                actions=["lambda:InvokeFunction"],
                resources=[functions[spec.name].function_arn for spec in FUNCTIONS if spec.asl_placeholder],
            )
        )
        definition = ASL_FILE.read_text()
        substitutions = asl_substitutions(
            definition,
            lambda name: functions[name].function_arn,
            {"GuardrailMode": "on" if guardrail else "off"},
        )
        self.state_machine = sfn.StateMachine(
            self,
            "StateMachine",
            state_machine_type=sfn.StateMachineType.EXPRESS,
            # TimeoutSeconds lives in the ASL file itself: CDK ignores `timeout=` here.
            definition_body=sfn.DefinitionBody.from_string(definition),
            definition_substitutions=substitutions,
            role=self.role,
            logs=sfn.LogOptions(
                destination=self.log_group, level=sfn.LogLevel.ALL, include_execution_data=True
            ),
            tracing_enabled=True,
        )
        # Jobs: the same states from the same file, with the job's TimeoutSeconds. Its name is
        # fixed so RunJob's environment can name its ARN before the machine exists.
        self.job_state_machine = sfn.StateMachine(
            self,
            "JobStateMachine",
            state_machine_name=job_state_machine_name(Stack.of(self)),
            state_machine_type=sfn.StateMachineType.EXPRESS,
            definition_body=sfn.DefinitionBody.from_string(job_definition(definition)),
            definition_substitutions=substitutions,
            role=self.role,
            logs=sfn.LogOptions(
                destination=self.log_group, level=sfn.LogLevel.ALL, include_execution_data=True
            ),
            tracing_enabled=True,
        )


def job_state_machine_name(stack: Stack) -> str:
    return f"{stack.stack_name}-{JOB_STATE_MACHINE_SUFFIX}"


def job_state_machine_arn(stack: Stack) -> str:
    return stack.format_arn(
        service="states",
        resource="stateMachine",
        resource_name=job_state_machine_name(stack),
        arn_format=ArnFormat.COLON_RESOURCE_NAME,
    )
