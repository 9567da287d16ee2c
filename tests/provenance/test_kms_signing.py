"""The KMS signing path as it runs on AWS, against moto's KMS and SSM: the key is
certified as `make provenance-cert` does, and MarkProvenance's signer signs with
kms:Sign (DIGEST, ECDSA_SHA_256, DER converted to COSE's r||s)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import boto3
import pytest
from botocore.stub import Stubber

from tests.provenance.images import photo, png
from text2image.adapters.certificates import CertificateChain
from text2image.adapters.kms import KmsSigner
from text2image.domain.provenance import ManifestFacts
from text2image.errors import SigningRefused, SigningThrottled, SigningUnavailable
from text2image.provenance import mark_image, verify_image
from workflow.local.dev_ca import certify_kms_key

PARAMETER = "/Text2Image/provenance/certificate-chain"
FACTS = ManifestFacts(
    title="image.png",
    model_id="model-imagegeneration-stabilityai-stable-diffusion-xl-base-1-0",
    model_version="1.0",
    created=datetime(2026, 11, 2, tzinfo=UTC),
    execution_hash="abcdef",
    prompt_verdict="safe",
)


@pytest.fixture
def aws(local_env):
    # The session's moto server, not mock_aws(): that would reset the backends the server
    # shares with it, and every later test's tables and buckets with them.
    clients = {
        service: boto3.client(
            service,
            endpoint_url=local_env.moto_url,
            region_name="us-east-1",
            aws_access_key_id="local",
            aws_secret_access_key="local",
        )
        for service in ("kms", "ssm")
    }
    return clients["kms"], clients["ssm"]


def test_an_image_signed_through_kms_verifies_against_the_dev_ca(aws, tmp_path):
    kms, ssm = aws
    key_id = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["Arn"]
    certify_kms_key(kms, ssm, key_id, PARAMETER, directory=tmp_path)
    chain = CertificateChain(ssm, PARAMETER)

    signed, _ = mark_image(
        png(photo(0, (512, 512))), "image/png", "run", FACTS, KmsSigner(kms, key_id).sign, chain.pem()
    )

    credentials = verify_image(signed, trust_anchors_pem=chain.root_pem()).content_credentials
    assert (credentials.valid, credentials.trusted) == (True, True)


@pytest.mark.parametrize(
    ("code", "status", "raised"),
    [
        ("ThrottlingException", 400, SigningThrottled),
        ("KMSInternalException", 500, SigningUnavailable),
        ("DisabledException", 400, SigningRefused),
        ("AccessDeniedException", 400, SigningRefused),
    ],
)
def test_kms_failures_become_the_workflows_error_codes(code, status, raised):
    client = boto3.client("kms", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(client) as stub:
        stub.add_client_error("sign", service_error_code=code, http_status_code=status)
        with pytest.raises(raised):
            KmsSigner(client, "alias/key").sign(b"to be signed")


def test_a_missing_certificate_parameter_is_a_refusal(aws):
    _, ssm = aws
    with pytest.raises(SigningRefused):
        CertificateChain(ssm, "/no/such/parameter").pem()


def test_a_message_over_4096_bytes_is_signed_as_its_digest(aws):
    """moto does not implement MessageType DIGEST (the KMS stand-in does): the request is checked here."""
    client = boto3.client("kms", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    data = b"x" * 5000
    with Stubber(client) as stub:
        stub.add_response(
            "sign",
            {"Signature": bytes.fromhex("3006020101020102")},
            {
                "KeyId": "alias/key",
                "Message": hashlib.sha256(data).digest(),
                "MessageType": "DIGEST",
                "SigningAlgorithm": "ECDSA_SHA_256",
            },
        )
        assert KmsSigner(client, "alias/key").sign(data) == (1).to_bytes(32, "big") + (2).to_bytes(32, "big")
