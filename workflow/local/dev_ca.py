"""The development CA that certifies provenance signing keys, and the certificates it issues.

The CA's key is made on first use in a git-ignored folder (`repo_paths.DEV_CA_DIR`)
and kept, so images signed on earlier days still chain to the same root. The
signing key itself is a KMS key (the KMS stand-in's, locally): only its public
key is certified here.

What C2PA asks of a signing certificate, and what this one has: X.509 v3, an
ECDSA P-256 key, `digitalSignature` key usage (critical), an extended key usage
C2PA accepts (here `emailProtection`), not a CA, issued by a CA (C2PA refuses a
self-signed signing certificate), and valid at signing time.
"""

from __future__ import annotations

import datetime
import os
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from repo_paths import DEV_CA_DIR

ORGANIZATION = "text2image (development)"
CA_COMMON_NAME = "text2image development provenance CA"
SIGNER_COMMON_NAME = "text2image provenance signer"
CA_DAYS = 3650
SIGNER_DAYS = 365
CA_KEY_FILE = "ca-key.pem"
CA_CERT_FILE = "ca-cert.pem"


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANIZATION),
        ]
    )


def _key_usage(*, signing: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=signing,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=not signing,
        crl_sign=not signing,
        encipher_only=False,
        decipher_only=False,
    )


def _write_once(path: Path, data: bytes, mode: int) -> None:
    """Create `path` atomically; if another process made it first, keep theirs."""
    temporary = path.with_suffix(f".{os.getpid()}.tmp")
    temporary.write_bytes(data)
    os.chmod(temporary, mode)
    try:
        os.link(temporary, path)
    except FileExistsError:
        pass
    finally:
        temporary.unlink()


def dev_ca(directory: Path = DEV_CA_DIR) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    """The development CA, made on first use."""
    key_path, cert_path = directory / CA_KEY_FILE, directory / CA_CERT_FILE
    if not cert_path.exists():
        directory.mkdir(parents=True, exist_ok=True)
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.UTC)
        certificate = (
            x509.CertificateBuilder()
            .subject_name(_name(CA_COMMON_NAME))
            .issuer_name(_name(CA_COMMON_NAME))
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=CA_DAYS))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(_key_usage(signing=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256())
        )
        key_pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        _write_once(key_path, key_pem, 0o600)
        _write_once(cert_path, certificate.public_bytes(serialization.Encoding.PEM), 0o644)
    key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ValueError(f"{key_path} is not an EC private key")
    return x509.load_pem_x509_certificate(cert_path.read_bytes()), key


def signing_certificate(
    public_key_der: bytes,
    ca_certificate: x509.Certificate,
    ca_key: ec.EllipticCurvePrivateKey,
    days: int = SIGNER_DAYS,
) -> x509.Certificate:
    """A C2PA signing certificate for a P-256 public key (KMS GetPublicKey's DER)."""
    public_key = serialization.load_der_public_key(public_key_der)
    if not isinstance(public_key, ec.EllipticCurvePublicKey) or public_key.curve.name != "secp256r1":
        raise ValueError("the signing key must be an ECC_NIST_P256 key")
    now = datetime.datetime.now(datetime.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(_name(SIGNER_COMMON_NAME))
        .issuer_name(ca_certificate.subject)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(signing=True), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )


def chain_pem(*certificates: x509.Certificate) -> str:
    """The PEM chain, in the order given (leaf first)."""
    return "".join(c.public_bytes(serialization.Encoding.PEM).decode("ascii") for c in certificates)


def certify_kms_key(
    kms: object, ssm: object, key_id: str, parameter: str, directory: Path = DEV_CA_DIR
) -> str:
    """Certify the KMS key's public key with the development CA and store the chain in
    the SSM parameter the signing function reads. Returns the chain."""
    public_key = kms.get_public_key(KeyId=key_id)["PublicKey"]  # type: ignore[attr-defined]
    ca_certificate, ca_key = dev_ca(directory)
    chain = chain_pem(signing_certificate(public_key, ca_certificate, ca_key), ca_certificate)
    ssm.put_parameter(Name=parameter, Value=chain, Type="String", Overwrite=True)  # type: ignore[attr-defined]
    return chain
