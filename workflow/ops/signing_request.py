"""A certificate signing request for the KMS signing key, and the check of the chain
a CA issues for it, for operators who want a certificate from a CA of their choosing.

A CSR is signed by the key it asks a certificate for; that key lives in KMS and
never leaves it. The request is therefore built with `cryptography` around a
throwaway P-256 key, whose SubjectPublicKeyInfo is then swapped for the KMS key's
(both are 91 bytes of DER, so no length in the structure changes), and the
resulting CertificationRequestInfo is signed with kms:Sign (ECDSA_SHA_256, whose
DER signature is what PKCS #10 carries). The result is checked with `cryptography`
before it is written: a CSR whose signature does not verify is never handed to a CA.
"""

from __future__ import annotations

import itertools
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from workflow.local.dev_ca import chain_pem

# ecdsa-with-SHA256 (1.2.840.10045.4.3.2), DER-encoded with no parameters, as RFC 5758 says.
ECDSA_WITH_SHA256 = bytes.fromhex("300a06082a8648ce3d040302")
# id-kp-documentSigning (RFC 9336), which C2PA accepts besides emailProtection.
DOCUMENT_SIGNING = x509.ObjectIdentifier("1.3.6.1.5.5.7.3.36")
C2PA_SIGNING_USAGES = {ExtendedKeyUsageOID.EMAIL_PROTECTION, DOCUMENT_SIGNING}


class ChainRejected(ValueError):
    """The certificate chain cannot sign C2PA manifests with the KMS key."""


def _der(tag: int, content: bytes) -> bytes:
    """One DER element: tag, definite length, content."""
    length = len(content)
    if length < 0x80:
        return bytes([tag, length]) + content
    size = (length.bit_length() + 7) // 8
    return bytes([tag, 0x80 | size]) + length.to_bytes(size, "big") + content


def _first_element(der: bytes) -> bytes:
    """The first DER element inside a SEQUENCE's encoding (the CSR's CertificationRequestInfo)."""

    def element_at(offset: int) -> tuple[int, int]:
        first_length = der[offset + 1]
        if first_length < 0x80:
            return offset + 2, first_length
        size = first_length & 0x7F
        return offset + 2 + size, int.from_bytes(der[offset + 2 : offset + 2 + size], "big")

    start, _ = element_at(0)
    content, length = element_at(start)
    return der[start : content + length]


def parse_subject(text: str) -> x509.Name:
    """`CN=...,O=...,C=...` as an X.509 name; commas cannot be escaped here."""
    attributes = {
        "CN": NameOID.COMMON_NAME,
        "O": NameOID.ORGANIZATION_NAME,
        "OU": NameOID.ORGANIZATIONAL_UNIT_NAME,
        "C": NameOID.COUNTRY_NAME,
        "ST": NameOID.STATE_OR_PROVINCE_NAME,
        "L": NameOID.LOCALITY_NAME,
    }
    parts = []
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, _, value = item.partition("=")
        if name.strip().upper() not in attributes or not value.strip():
            raise ValueError(f"cannot read {item!r}: use NAME=value with NAME one of {', '.join(attributes)}")
        parts.append(x509.NameAttribute(attributes[name.strip().upper()], value.strip()))
    if not any(part.oid == NameOID.COMMON_NAME for part in parts):
        raise ValueError("the subject needs a CN=")
    return x509.Name(parts)


def kms_signing_request(kms: Any, key_id: str, subject: x509.Name) -> bytes:
    """A PEM CSR for the KMS key, asking for what a C2PA signing certificate needs."""
    public_key_der = kms.get_public_key(KeyId=key_id)["PublicKey"]
    _p256_public_key(public_key_der)
    placeholder = ec.generate_private_key(ec.SECP256R1())
    placeholder_der = placeholder.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    template = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(subject)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
        .sign(placeholder, hashes.SHA256())
    )
    info = _first_element(template.public_bytes(serialization.Encoding.DER))
    if info.count(placeholder_der) != 1 or len(placeholder_der) != len(public_key_der):
        raise ValueError("the request could not be built around the KMS key")
    info = info.replace(placeholder_der, public_key_der)
    signature = kms.sign(KeyId=key_id, Message=info, MessageType="RAW", SigningAlgorithm="ECDSA_SHA_256")[
        "Signature"
    ]
    request = x509.load_der_x509_csr(_der(0x30, info + ECDSA_WITH_SHA256 + _der(0x03, b"\x00" + signature)))
    if not request.is_signature_valid or request.public_key() != _p256_public_key(public_key_der):
        raise ValueError("KMS's signature does not verify the request: nothing written")
    return request.public_bytes(serialization.Encoding.PEM)


def _p256_public_key(public_key_der: bytes) -> ec.EllipticCurvePublicKey:
    key = serialization.load_der_public_key(public_key_der)
    if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != "secp256r1":
        raise ValueError("the signing key must be an ECC_NIST_P256 key")
    return key


def checked_chain(chain: str, public_key_der: bytes) -> str:
    """The chain (leaf first) if its leaf certifies the KMS key for C2PA signing and each
    certificate is issued by the next; else ChainRejected, saying what is wrong."""
    try:
        certificates = x509.load_pem_x509_certificates(chain.encode("ascii"))
    except ValueError as error:
        raise ChainRejected(f"not a PEM certificate chain ({error})") from None
    leaf = certificates[0]
    if leaf.public_key() != _p256_public_key(public_key_der):
        raise ChainRejected(
            "the first certificate is not for the KMS signing key (the chain goes leaf first)"
        )
    _check_leaf(leaf)
    if len(certificates) < 2:
        raise ChainRejected(
            "C2PA refuses a self-signed signing certificate: add the issuing CA's certificate"
        )
    for child, issuer in itertools.pairwise(certificates):
        try:
            child.verify_directly_issued_by(issuer)
        except (InvalidSignature, ValueError, TypeError) as error:
            why = str(error) or "its signature does not verify"
            raise ChainRejected(
                f"{child.subject.rfc4514_string()} is not issued by the next certificate ({why})"
            ) from None
    return chain_pem(*certificates)


def _check_leaf(leaf: x509.Certificate) -> None:
    extensions = leaf.extensions
    try:
        usage = extensions.get_extension_for_class(x509.KeyUsage).value
        extended = set(extensions.get_extension_for_class(x509.ExtendedKeyUsage).value)
    except x509.ExtensionNotFound:
        raise ChainRejected("the signing certificate needs both keyUsage and extendedKeyUsage") from None
    if not usage.digital_signature:
        raise ChainRejected("the signing certificate's key usage lacks digitalSignature")
    if not extended & C2PA_SIGNING_USAGES:
        raise ChainRejected(
            "the signing certificate's extended key usage is neither emailProtection nor documentSigning"
        )
    try:
        extensions.get_extension_for_class(x509.AuthorityKeyIdentifier)
    except x509.ExtensionNotFound:
        raise ChainRejected(
            "c2pa-python refuses a signing certificate without authorityKeyIdentifier: ask the CA to add it"
        ) from None
    try:
        if extensions.get_extension_for_class(x509.BasicConstraints).value.ca:
            raise ChainRejected("the signing certificate is a CA certificate")
    except x509.ExtensionNotFound:
        pass
