"""`make provenance-cert` and `make verify IMAGE=path`.

provenance-cert: certifies the deployed stack's KMS signing key with the development
CA (made on first use in the git-ignored `.provenance/dev-ca/`) and stores the chain
in the SSM parameter MarkProvenance reads. With --csr it writes a certificate signing
request for a CA of the operator's choosing instead, and with --chain it stores the
chain that CA issued, once it is checked to certify the KMS key for C2PA signing.
The key and the parameter come from cdk.out/outputs.json (`make deploy` writes it), or
from --key-id and --parameter.

verify: what POST /verify answers, offline, for one image file; with --trust, the
development CA is the trust anchor.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from repo_paths import DEV_CA_DIR
from workflow.local.dev_ca import CA_CERT_FILE, certify_kms_key
from workflow.ops.signing_request import checked_chain, kms_signing_request, parse_subject

OUTPUTS_FILE = Path("cdk.out") / "outputs.json"


def deployed_names(stack: str) -> tuple[str, str]:
    outputs = json.loads(OUTPUTS_FILE.read_text())[stack]
    return outputs["ProvenanceKeyArn"], outputs["ProvenanceCertificateParameter"]


DEFAULT_SUBJECT = "CN=text2image provenance signer,O=text2image"


def certificate(argv: list[str]) -> int:
    import boto3

    from cdk.text2image_cdk.app import STACK_NAME

    parser = argparse.ArgumentParser(prog="make provenance-cert", description=__doc__.splitlines()[0])
    parser.add_argument("--key-id", help="the KMS key (default: the stack's ProvenanceKeyArn output)")
    parser.add_argument("--parameter", help="the SSM parameter (default: the stack's output)")
    choice = parser.add_mutually_exclusive_group()
    choice.add_argument("--csr", type=Path, help="write a certificate signing request here, for your own CA")
    choice.add_argument("--chain", type=Path, help="store this PEM chain (leaf first) your CA issued")
    parser.add_argument(
        "--subject", default=DEFAULT_SUBJECT, help=f"the CSR's subject (default {DEFAULT_SUBJECT!r})"
    )
    args = parser.parse_args(argv)
    if not (args.key_id and args.parameter):
        try:
            key_id, parameter = deployed_names(STACK_NAME)
        except (OSError, KeyError, ValueError) as error:
            print(
                f"Cannot read the stack's outputs from {OUTPUTS_FILE} ({error}); "
                "pass --key-id and --parameter."
            )
            return 1
        args.key_id, args.parameter = args.key_id or key_id, args.parameter or parameter
    kms, ssm = boto3.client("kms"), boto3.client("ssm")
    if args.csr:
        return write_request(kms, args.key_id, args.subject, args.csr)
    if args.chain:
        return store_issued_chain(kms, ssm, args.key_id, args.parameter, args.chain)
    chain = certify_kms_key(kms, ssm, args.key_id, args.parameter)
    print(f"certified {args.key_id} with the development CA ({DEV_CA_DIR / CA_CERT_FILE})")
    print(f"stored the chain ({chain.count('BEGIN CERTIFICATE')} certificates) in {args.parameter}")
    return 0


def write_request(kms: Any, key_id: str, subject: str, path: Path) -> int:
    """The CSR for the KMS key, signed by kms:Sign, written to `path`."""
    try:
        request = kms_signing_request(kms, key_id, parse_subject(subject))
    except ValueError as error:
        print(f"Cannot make the request: {error}", file=sys.stderr)
        return 2
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(request)
    print(f"wrote a certificate signing request for {key_id} to {path}")
    print("it asks for keyUsage digitalSignature and extendedKeyUsage emailProtection, not a CA;")
    print("when the CA answers: make provenance-cert CHAIN=<the chain, leaf first>")
    return 0


def store_issued_chain(kms: Any, ssm: Any, key_id: str, parameter: str, path: Path) -> int:
    """A CA-issued chain, checked against the KMS key, stored where MarkProvenance reads it."""
    try:
        chain = checked_chain(path.read_text(), kms.get_public_key(KeyId=key_id)["PublicKey"])
    except (OSError, UnicodeDecodeError, ValueError) as error:
        print(f"Not stored: {error}", file=sys.stderr)
        return 2
    ssm.put_parameter(Name=parameter, Value=chain, Type="String", Overwrite=True)
    print(f"stored the chain ({chain.count('BEGIN CERTIFICATE')} certificates) for {key_id} in {parameter}")
    return 0


def verify(argv: list[str]) -> int:
    from text2image.provenance import verify_image

    parser = argparse.ArgumentParser(prog="make verify", description="Read an image's provenance offline.")
    parser.add_argument("image", type=Path)
    parser.add_argument("--trust", action="store_true", help="trust the local development CA")
    args = parser.parse_args(argv)
    anchor = (
        (DEV_CA_DIR / CA_CERT_FILE).read_text()
        if args.trust and (DEV_CA_DIR / CA_CERT_FILE).exists()
        else None
    )
    try:
        answer = verify_image(args.image.read_bytes(), trust_anchors_pem=anchor)
    except (OSError, ValueError) as error:
        print(f"Cannot verify {args.image}: {error}", file=sys.stderr)
        return 2
    print(json.dumps(answer.model_dump(mode="json"), indent=2))
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in ("cert", "verify"):
        print(
            "usage: python -m workflow.ops.provenance "
            "cert [--key-id K --parameter P] [--csr PATH [--subject S] | --chain PATH] "
            "| verify IMAGE [--trust]"
        )
        return 2
    return certificate(argv[1:]) if argv[0] == "cert" else verify(argv[1:])


if __name__ == "__main__":
    raise SystemExit(main())
