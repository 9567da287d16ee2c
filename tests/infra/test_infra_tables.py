"""The DynamoDB tables and who may touch them: one definition with the local environment."""

from __future__ import annotations

from typing import Any

import pytest

from tests.infra.stack_fixtures import CUSTOM, Synth, synthesize
from text2image.tables import GENERATION_SLOTS, IDEMPOTENCY_KEYS, JOBS, TABLES


@pytest.fixture(scope="module")
def synth() -> Synth:
    return synthesize(CUSTOM)


def test_every_table_is_on_demand_with_recovery_encryption_and_the_shared_key(synth: Synth) -> None:
    tables = [v["Properties"] for v in synth.resources("AWS::DynamoDB::Table").values()]
    assert len(tables) == len(TABLES)
    for spec, table in zip(TABLES, tables, strict=True):
        local = spec.create_table_arguments("local")
        assert table["KeySchema"] == local["KeySchema"]
        assert table["AttributeDefinitions"] == local["AttributeDefinitions"]
        assert table["BillingMode"] == local["BillingMode"] == "PAY_PER_REQUEST"
        assert table["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
        assert table["SSESpecification"] == {"SSEEnabled": True}
        if spec.ttl_attribute:
            assert table["TimeToLiveSpecification"] == {"AttributeName": spec.ttl_attribute, "Enabled": True}


def _table_statements(synth: Synth) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for logical_id, policy in synth.resources("AWS::IAM::Policy").items():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            if any(action.startswith("dynamodb:") for action in actions):
                found.append((logical_id, statement))
    return found


def test_only_the_slot_functions_may_touch_the_slot_table_and_only_to_read_and_update(synth: Synth) -> None:
    (table_id,) = [k for k in synth.resources("AWS::DynamoDB::Table") if GENERATION_SLOTS.construct_id in k]
    actions = {
        logical_id.split("Role")[0]: sorted(
            statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        )
        for logical_id, statement in _table_statements(synth)
        if statement["Resource"] == {"Fn::GetAtt": [table_id, "Arn"]}
    }
    assert actions == {
        "FunctionsAcquireGenerationSlot": ["dynamodb:GetItem", "dynamodb:UpdateItem"],
        "FunctionsReleaseGenerationSlot": ["dynamodb:GetItem", "dynamodb:UpdateItem"],
        # The capacity refresh writes the live capacity and reads the pool in the same update.
        "FunctionsRefreshGenerationCapacity": ["dynamodb:UpdateItem"],
    }


def test_the_capacity_reaches_the_semaphore_from_the_deploy_settings(synth: Synth) -> None:
    # CUSTOM deploys two instances, each drawing one image at a time.
    for name in ("AcquireGenerationSlot", "ReleaseGenerationSlot"):
        assert synth.function(name)["Environment"]["Variables"]["GENERATION_CAPACITY"] == "2"


def _granted_on(synth: Synth, construct_id: str) -> dict[str, list[str]]:
    """Each function's DynamoDB actions on one table."""
    (table_id,) = [k for k in synth.resources("AWS::DynamoDB::Table") if construct_id in k]
    return {
        logical_id.split("Role")[0].removeprefix("Functions"): sorted(statement["Action"])
        if isinstance(statement["Action"], list)
        else [statement["Action"]]
        for logical_id, statement in _table_statements(synth)
        if statement["Resource"] == {"Fn::GetAtt": [table_id, "Arn"]}
    }


def test_the_jobs_table_is_written_only_by_the_job_functions_and_the_stage_reporters(synth: Synth) -> None:
    assert _granted_on(synth, JOBS.construct_id) == {
        "JobsApi": ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"],
        "RunJob": ["dynamodb:GetItem", "dynamodb:UpdateItem"],
        "CheckPromptToxicity": ["dynamodb:UpdateItem"],
        "AcquireGenerationSlot": ["dynamodb:UpdateItem"],
        "ModerateImage": ["dynamodb:UpdateItem"],
        "StoreImage": ["dynamodb:UpdateItem"],
    }


def test_the_idempotency_keys_are_claimed_by_one_put_and_settled_by_an_update_or_a_delete(
    synth: Synth,
) -> None:
    assert _granted_on(synth, IDEMPOTENCY_KEYS.construct_id) == {
        "ClaimIdempotencyKey": ["dynamodb:PutItem"],
        "SettleIdempotencyKey": ["dynamodb:DeleteItem", "dynamodb:UpdateItem"],
    }
    for name in ("ClaimIdempotencyKey", "SettleIdempotencyKey"):
        variables = synth.function(name)["Environment"]["Variables"]
        (table_id,) = [
            k for k in synth.resources("AWS::DynamoDB::Table") if IDEMPOTENCY_KEYS.construct_id in k
        ]
        assert variables[IDEMPOTENCY_KEYS.env_var] == {"Ref": table_id}
        assert variables["RUN_BUDGET_SECONDS"] == "28"
