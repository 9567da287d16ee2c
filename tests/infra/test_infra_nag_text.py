"""cdk-nag acknowledgements are written as cdk-nag prints findings, whatever the
account and Region resolve to (finding_text mirrors cdk-nag 3's flattenCfnReference)."""

from __future__ import annotations

from aws_cdk import App, Environment, Stack
from aws_cdk import aws_s3 as s3

from cdk.text2image_cdk.nag import _flatten, asset_bucket_arn, finding_text


def test_an_unknown_account_prints_as_its_pseudo_parameter() -> None:
    stack = Stack(App(), "S", env=Environment(region="eu-west-1"))
    assert finding_text(stack, asset_bucket_arn(stack)) == (
        "arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-eu-west-1"
    )


def test_a_concrete_account_prints_literally() -> None:
    stack = Stack(App(), "S", env=Environment(account="111122223333", region="us-west-2"))
    assert finding_text(stack, asset_bucket_arn(stack)) == (
        "arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-111122223333-us-west-2"
    )


def test_a_resource_attribute_prints_as_logical_id_and_attribute() -> None:
    stack = Stack(App(), "S")
    bucket = s3.Bucket(stack, "Images")
    logical_id = stack.get_logical_id(bucket.node.default_child)  # type: ignore[arg-type]
    assert finding_text(stack, bucket.arn_for_objects("staging/*")) == f"<{logical_id}.Arn>/staging/*"


def test_sub_and_import_value_flatten_as_cdk_nag_does() -> None:
    assert _flatten({"Fn::Sub": "arn:${AWS::Partition}:s3:::b"}) == "arn:<AWS::Partition>:s3:::b"
    assert _flatten({"Fn::ImportValue": "Shared"}) == "Shared"
    assert _flatten({"Fn::Select": [0, ["a"]]}) == '{"Fn::Select":[0,["a"]]}'
