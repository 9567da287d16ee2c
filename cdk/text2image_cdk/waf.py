"""Edge protection for the API stage: an AWS WAF web ACL.

- A rate-based rule per client IP on POST requests (the calls that start paid work),
  derived from capacity as the stage throttle is: one IP may ask for at most what the
  GPU serves at full scale over the rule's five-minute window (`per_ip_limit`).
- AWS managed rule groups: the core rule set (common attacks) and known bad inputs.
  The core rule set skips POST /verify, whose body is an image: its body rules cannot
  read one, and its SizeRestrictions_BODY blocks every body over 8 KB, any real image.

About 5 USD a month for the ACL, 1 USD per rule and group (3 in all), plus
0.60 USD per million requests (docs/deploy.md, "Costs").
"""

from __future__ import annotations

import math

from aws_cdk import RemovalPolicy
from aws_cdk import aws_logs as logs
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from text2image.config import AdmissionConfig

# WAF counts each IP's requests over this window (seconds); 300 is its default.
WINDOW_SECONDS = 300
# WAF's smallest rate limit.
MIN_LIMIT = 10
CORE_RULE_SET = "AWSManagedRulesCommonRuleSet"
MANAGED_GROUPS: tuple[str, ...] = (CORE_RULE_SET, "AWSManagedRulesKnownBadInputsRuleSet")
# The path WAF sees ends so for POST /verify, whatever the stage in front of it.
IMAGE_BODY_PATH_SUFFIX = "/verify"


def _not_an_image_body() -> wafv2.CfnWebACL.StatementProperty:
    """Requests to any path but POST /verify's (whose body is an image)."""
    return wafv2.CfnWebACL.StatementProperty(
        not_statement=wafv2.CfnWebACL.NotStatementProperty(
            statement=wafv2.CfnWebACL.StatementProperty(
                byte_match_statement=wafv2.CfnWebACL.ByteMatchStatementProperty(
                    field_to_match=wafv2.CfnWebACL.FieldToMatchProperty(uri_path={}),
                    positional_constraint="ENDS_WITH",
                    search_string=IMAGE_BODY_PATH_SUFFIX,
                    text_transformations=[
                        wafv2.CfnWebACL.TextTransformationProperty(priority=0, type="NONE")
                    ],
                )
            )
        )
    )


def per_ip_limit(max_capacity: int) -> int:
    """POSTs one IP may send per window: the generations a full-scale pool of
    `max_capacity` finishes in it, so one client can never queue more than the GPU draws."""
    latency = float(AdmissionConfig.model_fields["expected_generation_seconds"].default)
    return max(MIN_LIMIT, math.ceil(max_capacity * WINDOW_SECONDS / latency))


def _visibility(name: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
    return wafv2.CfnWebACL.VisibilityConfigProperty(
        cloud_watch_metrics_enabled=True, metric_name=name, sampled_requests_enabled=True
    )


class ApiFirewall(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        stage_arn: str,
        max_capacity: int,
        log_retention: logs.RetentionDays,
    ) -> None:
        super().__init__(scope, construct_id)
        self.limit = per_ip_limit(max_capacity)
        rules = [
            wafv2.CfnWebACL.RuleProperty(
                name="PostsPerClientIp",
                priority=0,
                action=wafv2.CfnWebACL.RuleActionProperty(block={}),
                statement=wafv2.CfnWebACL.StatementProperty(
                    rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(
                        aggregate_key_type="IP",
                        limit=self.limit,
                        evaluation_window_sec=WINDOW_SECONDS,
                        # Polling a job (GET) is free; only requests that start work count.
                        scope_down_statement=wafv2.CfnWebACL.StatementProperty(
                            byte_match_statement=wafv2.CfnWebACL.ByteMatchStatementProperty(
                                field_to_match=wafv2.CfnWebACL.FieldToMatchProperty(method={}),
                                positional_constraint="EXACTLY",
                                search_string="POST",
                                text_transformations=[
                                    wafv2.CfnWebACL.TextTransformationProperty(priority=0, type="NONE")
                                ],
                            )
                        ),
                    )
                ),
                visibility_config=_visibility("PostsPerClientIp"),
            )
        ]
        for priority, group in enumerate(MANAGED_GROUPS, start=1):
            rules.append(
                wafv2.CfnWebACL.RuleProperty(
                    name=group,
                    priority=priority,
                    override_action=wafv2.CfnWebACL.OverrideActionProperty(none={}),
                    statement=wafv2.CfnWebACL.StatementProperty(
                        managed_rule_group_statement=wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(
                            vendor_name="AWS",
                            name=group,
                            scope_down_statement=_not_an_image_body() if group == CORE_RULE_SET else None,
                        )
                    ),
                    visibility_config=_visibility(group),
                )
            )
        self.web_acl = wafv2.CfnWebACL(
            self,
            "WebAcl",
            scope="REGIONAL",
            default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
            visibility_config=_visibility("text2image-api"),
            rules=rules,
            description="text2image API: per-IP rate of POSTs, common attacks, known bad inputs",
        )
        wafv2.CfnWebACLAssociation(
            self, "StageAssociation", resource_arn=stage_arn, web_acl_arn=self.web_acl.attr_arn
        )
        # WAF writes only to a log group whose name starts with aws-waf-logs-.
        self.log_group = logs.LogGroup(
            self,
            "Logs",
            log_group_name=f"aws-waf-logs-text2image-{construct_id.lower()}-{self.node.addr[:8]}",
            retention=log_retention,
            removal_policy=RemovalPolicy.DESTROY,
        )
        wafv2.CfnLoggingConfiguration(
            self,
            "Logging",
            resource_arn=self.web_acl.attr_arn,
            log_destination_configs=[self.log_group.log_group_arn],
        )
