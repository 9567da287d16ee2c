"""The DynamoDB tables, from the one definition the local environment also creates (`text2image.tables`)."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from constructs import Construct

from text2image.tables import TABLES, TableSpec


class Tables(Construct):
    """On demand, point-in-time recovery, encrypted at rest, TTL where the spec has one."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.by_spec: dict[TableSpec, dynamodb.Table] = {spec: self._table(spec) for spec in TABLES}

    def _table(self, spec: TableSpec) -> dynamodb.Table:
        return dynamodb.Table(
            self,
            spec.construct_id,
            partition_key=dynamodb.Attribute(name=spec.partition_key, type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            encryption=dynamodb.TableEncryption.AWS_MANAGED,
            time_to_live_attribute=spec.ttl_attribute,
            # Leases, queues and job states are short-lived: nothing to keep after the stack.
            removal_policy=RemovalPolicy.DESTROY,
        )

    def environment(self) -> dict[str, str]:
        """Each table's name under the variable its functions read it from."""
        return {spec.env_var: table.table_name for spec, table in self.by_spec.items()}
