"""`make provenance-cert CSR=... / CHAIN=...`: a certificate signing request signed by
the KMS key (moto's KMS here), an operator's own CA issuing from it, and the issued
chain checked and stored where MarkProvenance reads it. Run through the command's own
entry point, with boto3 pointed at moto as AWS_ENDPOINT_URL_* points a user's shell."""

from __future__ import annotations

import datetime
from datetime import UTC
from pathlib import Path

import boto3
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tests.provenance.images import photo, png
from tests.provenance.test_kms_signing import FACTS
from text2image.adapters.certificates import CertificateChain
from text2image.adapters.kms import KmsSigner
from text2image.provenance import mark_image, verify_image
from workflow.local.dev_ca import chain_pem
from workflow.ops.provenance import main
from workflow.ops.signing_request import parse_subject

PARAMETER = "/Text2Image/provenance/operator-chain"


@pytest.fixture
def aws(local_env, monkeypatch):
    for service in ("KMS", "SSM"):
        monkeypatch.setenv(f"AWS_ENDPOINT_URL_{service}", local_env.moto_url)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "local")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "local")
    kms, ssm = boto3.client("kms"), boto3.client("ssm")
    key = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["Arn"]
    ssm.delete_parameters(Names=[PARAMETER])
    return kms, ssm, key


class OperatorCa:
    """A CA of the operator's choosing: it issues from a CSR what the CSR asks for."""

    def __init__(self) -> None:
        self.key = ec.generate_private_key(ec.SECP384R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Example Corp issuing CA")])
        now = datetime.datetime.now(UTC)
        self.certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(self.key.public_key()), critical=False)
            .sign(self.key, hashes.SHA384())
        )

    def issue(
        self, request: x509.CertificateSigningRequest, *, without: type | None = None
    ) -> x509.Certificate:
        """What the request asks for, plus the authority key identifier a CA adds."""
        now = datetime.datetime.now(UTC)
        builder = (
            x509.CertificateBuilder()
            .subject_name(request.subject)
            .issuer_name(self.certificate.subject)
            .public_key(request.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=30))
        )
        issuer_key_id = x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key())
        for value, critical in [(issuer_key_id, False), *((e.value, e.critical) for e in request.extensions)]:
            if type(value) is not without:
                builder = builder.add_extension(value, critical)
        return builder.sign(self.key, hashes.SHA384())


def request_for(key: str, tmp_path: Path, *subject: str) -> x509.CertificateSigningRequest:
    path = tmp_path / "signer.csr"
    arguments = ["--subject", subject[0]] if subject else []
    assert main(["cert", "--key-id", key, "--parameter", PARAMETER, "--csr", str(path), *arguments]) == 0
    return x509.load_pem_x509_csr(path.read_bytes())


def store(key: str, tmp_path: Path, chain: str) -> int:
    path = tmp_path / "chain.pem"
    path.write_text(chain)
    return main(["cert", "--key-id", key, "--parameter", PARAMETER, "--chain", str(path)])


def test_the_request_is_signed_by_the_kms_key_and_asks_for_a_c2pa_signing_certificate(aws, tmp_path):
    kms, _, key = aws
    request = request_for(key, tmp_path, "CN=Example Corp image signer, O=Example Corp, C=DE")

    assert request.is_signature_valid
    kms_public_key = serialization.load_der_public_key(kms.get_public_key(KeyId=key)["PublicKey"])
    assert request.public_key() == kms_public_key
    assert request.subject.rfc4514_string() == "C=DE,O=Example Corp,CN=Example Corp image signer"
    assert request.extensions.get_extension_for_class(x509.KeyUsage).value.digital_signature
    assert (
        ExtendedKeyUsageOID.EMAIL_PROTECTION
        in request.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    )
    assert request.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False


def test_the_chain_an_operators_ca_issues_is_stored_and_signs_trusted_images(aws, tmp_path):
    kms, ssm, key = aws
    ca = OperatorCa()
    leaf = ca.issue(request_for(key, tmp_path))

    assert store(key, tmp_path, chain_pem(leaf, ca.certificate)) == 0

    chain = CertificateChain(ssm, PARAMETER)
    signed, _ = mark_image(
        png(photo(0, (512, 512))), "image/png", "run", FACTS, KmsSigner(kms, key).sign, chain.pem()
    )
    credentials = verify_image(signed, trust_anchors_pem=chain_pem(ca.certificate)).content_credentials
    assert (credentials.valid, credentials.trusted) == (True, True)
    assert credentials.issuer == "text2image"  # the organisation the request named


@pytest.mark.parametrize(
    ("chain", "reason"),
    [
        ("wrong-key", "not for the KMS signing key"),
        ("leaf-only", "self-signed"),
        ("no-digital-signature", "keyUsage"),
        ("no-authority-key-id", "authorityKeyIdentifier"),
        ("reversed", "not for the KMS signing key"),
        ("wrong-issuer", "not issued by the next certificate"),
        ("not-pem", "not a PEM certificate chain"),
    ],
)
def test_a_chain_that_cannot_sign_with_the_kms_key_is_refused_and_nothing_stored(
    aws, tmp_path, capsys, chain, reason
):
    _, ssm, key = aws
    ca, other_ca = OperatorCa(), OperatorCa()
    request = request_for(key, tmp_path)
    leaf = ca.issue(request)
    chains = {
        "wrong-key": lambda: chain_pem(
            ca.issue(
                x509.CertificateSigningRequestBuilder()
                .subject_name(request.subject)
                .sign(ec.generate_private_key(ec.SECP256R1()), hashes.SHA256())
            ),
            ca.certificate,
        ),
        "leaf-only": lambda: chain_pem(leaf),
        "no-digital-signature": lambda: chain_pem(ca.issue(request, without=x509.KeyUsage), ca.certificate),
        "no-authority-key-id": lambda: chain_pem(
            ca.issue(request, without=x509.AuthorityKeyIdentifier), ca.certificate
        ),
        "reversed": lambda: chain_pem(ca.certificate, leaf),
        "wrong-issuer": lambda: chain_pem(leaf, other_ca.certificate),
        "not-pem": lambda: "hello",
    }

    assert store(key, tmp_path, chains[chain]()) == 2

    assert reason in capsys.readouterr().err
    assert ssm.get_parameters(Names=[PARAMETER])["Parameters"] == []


@pytest.mark.parametrize("subject", ["O=Example Corp", "CN=signer,EMAIL=a@b", "CN="])
def test_a_subject_without_a_common_name_or_with_unknown_parts_is_refused(subject):
    with pytest.raises(ValueError):
        parse_subject(subject)
