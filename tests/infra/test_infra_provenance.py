"""The provenance signing key in the template: an ECC P-256 signing key that only
MarkProvenance may use, and only to sign."""

from __future__ import annotations

import json

import pytest

from tests.infra.stack_fixtures import CUSTOM, Synth, synthesize


@pytest.fixture(scope="module")
def synth() -> Synth:
    return synthesize(CUSTOM)


def signing_key(synth: Synth) -> tuple[str, dict]:
    (found,) = [item for item in synth.resources("AWS::KMS::Key").items() if item[0].startswith("Provenance")]
    return found


def statements_with(synth: Synth, action_prefix: str) -> dict[str, list[dict]]:
    """Every policy statement granting an action with this prefix, by policy's logical id."""
    found: dict[str, list[dict]] = {}
    for logical_id, policy in synth.resources("AWS::IAM::Policy").items():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            if any(action.startswith(action_prefix) for action in actions):
                found.setdefault(logical_id, []).append(statement)
    return found


def test_the_stack_has_an_ecc_p256_sign_verify_key(synth: Synth):
    _, key = signing_key(synth)
    assert key["Properties"]["KeySpec"] == "ECC_NIST_P256"
    assert key["Properties"]["KeyUsage"] == "SIGN_VERIFY"
    assert key["DeletionPolicy"] == "Retain"


def test_only_mark_provenance_may_sign_and_only_with_that_key(synth: Synth):
    key_id, _ = signing_key(synth)
    granted = statements_with(synth, "kms:")
    assert list(granted) and all(policy.startswith("FunctionsMarkProvenanceRole") for policy in granted)
    (statement,) = next(iter(granted.values()))
    assert statement["Action"] == "kms:Sign"
    assert statement["Resource"] == {"Fn::GetAtt": [key_id, "Arn"]}


def test_the_certificate_parameter_is_readable_by_the_signer_and_the_verifier_only(synth: Synth):
    granted = {
        policy: [s for s in statements if "/provenance/certificate-chain" in json.dumps(s["Resource"])]
        for policy, statements in statements_with(synth, "ssm:").items()
    }
    granted = {policy: statements for policy, statements in granted.items() if statements}
    assert {policy.split("Role")[0] for policy in granted} == {
        "FunctionsMarkProvenance",
        "FunctionsVerifyApi",
    }
    for statements in granted.values():
        (statement,) = statements
        assert statement["Action"] == "ssm:GetParameter"
    environment = synth.function("MarkProvenance")["Environment"]["Variables"]
    assert {"PROVENANCE_KEY_ID", "PROVENANCE_CERTIFICATE_PARAMETER"} <= set(environment)


def test_the_image_functions_get_a_whole_vcpu_and_the_others_stay_small(synth: Synth):
    memory = {
        logical_id.removeprefix("Functions")[:-8]: function["Properties"]["MemorySize"]
        for logical_id, function in synth.resources("AWS::Lambda::Function").items()
        if logical_id.startswith("Functions")
    }
    assert memory["MarkProvenance"] == memory["VerifyApi"] == 1769
    assert memory["StoreImage"] == 256
