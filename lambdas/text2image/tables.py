"""The DynamoDB tables, defined once for the CDK stack and the local environment.

Pure Python: the CDK stack builds `aws_dynamodb.Table`s from these specs and the
local environment calls moto's `CreateTable` with `create_table_arguments`, so
the key schema and TTL attribute cannot drift between cloud and local.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class TableSpec:
    # Construct id in the stack, and the environment variable its name reaches the functions by.
    construct_id: str
    env_var: str
    partition_key: str
    # Items whose number in this attribute (epoch seconds) has passed are deleted by DynamoDB.
    ttl_attribute: str | None
    description: str

    def create_table_arguments(self, table_name: str) -> dict[str, Any]:
        """boto3 `create_table` arguments (on demand), as the stack declares the table."""
        return {
            "TableName": table_name,
            "AttributeDefinitions": [{"AttributeName": self.partition_key, "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": self.partition_key, "KeyType": "HASH"}],
            "BillingMode": "PAY_PER_REQUEST",
        }

    def time_to_live_arguments(self, table_name: str) -> dict[str, Any] | None:
        """boto3 `update_time_to_live` arguments, or None for a table without TTL."""
        if self.ttl_attribute is None:
            return None
        return {
            "TableName": table_name,
            "TimeToLiveSpecification": {"Enabled": True, "AttributeName": self.ttl_attribute},
        }


# One item per endpoint: its leases (holder -> expiry) and its waiters (holder -> since).
GENERATION_SLOTS = TableSpec(
    construct_id="GenerationSlots",
    env_var="SLOTS_TABLE",
    partition_key="pool",
    ttl_attribute=None,
    description="The generation semaphore: who holds a slot on the SDXL endpoint, and who waits for one.",
)

# One item per job: its request, stage, queue position and, at the end, its answer.
# The item lives for the idempotency window (24 h), then DynamoDB deletes it.
JOBS = TableSpec(
    construct_id="Jobs",
    env_var="JOBS_TABLE",
    partition_key="job_id",
    ttl_attribute="expires_at",
    description="Asynchronous jobs: their stage while running, their answer after.",
)

# One item per Idempotency-Key of POST /generate (scoped by route): the claiming run,
# its lease and, once answered, the answer. Kept for the idempotency window (24 h).
IDEMPOTENCY_KEYS = TableSpec(
    construct_id="IdempotencyKeys",
    env_var="IDEMPOTENCY_TABLE",
    partition_key="key_id",
    ttl_attribute="expires_at",
    description="Idempotency-Keys of POST /generate: who claimed each, and the answer once given.",
)

# One item per caller per UTC day: the images that day's runs reserved (`used`) and the
# executions holding them (`runs`), so a refund gives back only a run's own. Kept two days.
DAILY_QUOTAS = TableSpec(
    construct_id="DailyQuotas",
    env_var="QUOTA_TABLE",
    partition_key="quota_id",
    ttl_attribute="expires_at",
    description="Images each caller's runs reserved per UTC day, and which runs hold them.",
)

TABLES: tuple[TableSpec, ...] = (GENERATION_SLOTS, JOBS, IDEMPOTENCY_KEYS, DAILY_QUOTAS)
