"""Every context a user can choose synthesizes cdk-nag-clean, in-process, with the
AwsSolutions pack applied exactly as the app applies it (`build_app`).

One cell per line: a later option is one more line.
Dimensions are combined to keep CI short (each cell is one ~5 s synth): the Regions
with the default auth, the auth modes in one Region, the endpoint choice once.
"""

from __future__ import annotations

from typing import Any

import pytest

from cdk.text2image_cdk.jumpstart import SDXL_ARTIFACTS
from tests.infra.stack_fixtures import CONCRETE, CONCRETE_ACCOUNT, synthesize

ACCOUNT = {"account": CONCRETE_ACCOUNT}

CELLS: list[dict[str, Any]] = [
    {},  # environment-agnostic, as `make synth` without credentials
    *({**ACCOUNT, "region": region} for region in sorted(SDXL_ARTIFACTS)),  # apiAuth none
    {**CONCRETE, "apiAuth": "apiKey"},
    {**CONCRETE, "apiAuth": "iam"},
    {**CONCRETE, "apiAuth": "cognito"},
    {**CONCRETE, "apiAuth": "apiKey", "waf": "off"},
    {**CONCRETE, "existingEndpointName": "SDXL-From-Notebook"},
    {**CONCRETE, "translatePrompts": "false"},
    {**CONCRETE, "minInstances": "0"},  # scale to zero: inference component, scaling from the alarm
    {**CONCRETE, "alarmEmail": "ops@example.com"},
    {**CONCRETE, "guardrail": "on"},  # Bedrock Guardrails: the guardrail, its version, scoped grants
]


def cell_id(context: dict[str, Any]) -> str:
    return ",".join(f"{key}={value}" for key, value in context.items()) or "environment-agnostic"


@pytest.mark.parametrize("context", CELLS, ids=cell_id)
def test_every_cell_synthesizes_with_no_unacknowledged_cdk_nag_finding(context: dict[str, Any]) -> None:
    # An unacknowledged error fails app.synth() itself (RuntimeError naming the finding).
    synth = synthesize(context)
    assert synth.nag_findings() == []


def test_the_concrete_account_lands_in_the_template_where_tokens_were() -> None:
    """Proves the concrete cells really synthesize for a named account and Region,
    which is what made the acknowledgements spelled with <AWS::AccountId> miss."""
    text = str(synthesize(CONCRETE).template)
    assert f"cdk-hnb659fds-assets-{CONCRETE_ACCOUNT}-{CONCRETE['region']}" in text
    assert f":logs:{CONCRETE['region']}:{CONCRETE_ACCOUNT}:log-group:/aws/sagemaker/Endpoints/*" in text
