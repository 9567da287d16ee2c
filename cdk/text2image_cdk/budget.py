"""The spend guard's budget: AWS Budgets on the stack's cost tag, alerting the alarm topic.

Budgets itself is free for the first two budgets of an account (0.02 USD a day each
after that). The tag must be activated as a cost allocation tag in the Billing
console before its costs appear (docs/operations.md).
"""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_budgets as budgets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from constructs import Construct

# Per cent of the budget at which the alarm topic hears of actual spend.
THRESHOLDS: tuple[int, ...] = (80, 100)


class SpendBudget(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        monthly_usd: float,
        tag_key: str,
        tag_value: str,
        topic: sns.ITopic,
        topic_key: kms.IKey | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        budgets_principal = iam.ServicePrincipal("budgets.amazonaws.com")
        if topic_key is not None:
            # An encrypted topic: Budgets must be able to encrypt what it publishes.
            topic_key.grant(budgets_principal, "kms:Decrypt", "kms:GenerateDataKey*")
        # Budgets publishes with its service principal, for this account's budgets only.
        topic.add_to_resource_policy(
            iam.PolicyStatement(
                actions=["sns:Publish"],
                principals=[budgets_principal],
                resources=[topic.topic_arn],
                conditions={"StringEquals": {"aws:SourceAccount": Stack.of(self).account}},
            )
        )
        self.budget = budgets.CfnBudget(
            self,
            "Budget",
            budget=budgets.CfnBudget.BudgetDataProperty(
                budget_name=f"{Stack.of(self).stack_name}-monthly",
                budget_type="COST",
                time_unit="MONTHLY",
                budget_limit=budgets.CfnBudget.SpendProperty(amount=monthly_usd, unit="USD"),
                # The stack's tag, as Cost Explorer names it: user:<key>$<value>.
                cost_filters={"TagKeyValue": [f"user:{tag_key}${tag_value}"]},
            ),
            notifications_with_subscribers=[
                budgets.CfnBudget.NotificationWithSubscribersProperty(
                    notification=budgets.CfnBudget.NotificationProperty(
                        comparison_operator="GREATER_THAN",
                        notification_type="ACTUAL",
                        threshold=threshold,
                        threshold_type="PERCENTAGE",
                    ),
                    subscribers=[
                        budgets.CfnBudget.SubscriberProperty(address=topic.topic_arn, subscription_type="SNS")
                    ],
                )
                for threshold in THRESHOLDS
            ],
        )
