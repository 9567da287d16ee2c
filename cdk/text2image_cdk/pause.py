"""The operator's pause switch: an SSM parameter ReserveQuota reads at admission.

`make pause` writes `paused`, `make resume` writes `running`; no redeploy. While
paused, sync requests answer 503 and jobs wait.
"""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from text2image.adapters.quota import RUNNING_VALUE


def pause_parameter_name(stack_name: str) -> str:
    return f"/text2image/{stack_name}/generation"


class PauseSwitch(Construct):
    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.parameter = ssm.StringParameter(
            self,
            "Parameter",
            parameter_name=pause_parameter_name(Stack.of(self).stack_name),
            string_value=RUNNING_VALUE,
            description="text2image generation: 'running', or 'paused' by the operator (make pause / resume)",
        )
