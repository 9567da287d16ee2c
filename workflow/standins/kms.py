"""AWS KMS `Sign` and `GetPublicKey` for one ECC_NIST_P256 SIGN_VERIFY key.

Its private key is made when the stand-in starts and never leaves it, as a KMS
key's never leaves KMS; `make local` certifies its public key with the
development CA. Any KeyId names this one key.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

from workflow.standins.wire import AwsError

KEY_SPEC = "ECC_NIST_P256"
SIGNING_ALGORITHM = "ECDSA_SHA_256"
MAX_RAW_MESSAGE_BYTES = 4096
DIGEST_BYTES = 32


class KmsSigningKey:
    def __init__(self) -> None:
        self._key = ec.generate_private_key(ec.SECP256R1())

    def get_public_key(self, body: dict[str, Any]) -> dict[str, Any]:
        der = self._key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return {
            "KeyId": _key_id(body),
            "PublicKey": base64.b64encode(der).decode("ascii"),
            "KeySpec": KEY_SPEC,
            "KeyUsage": "SIGN_VERIFY",
            "SigningAlgorithms": [SIGNING_ALGORITHM],
        }

    def sign(self, body: dict[str, Any]) -> dict[str, Any]:
        if body.get("SigningAlgorithm") != SIGNING_ALGORITHM:
            raise AwsError(
                "InvalidKeyUsageException", f"An {KEY_SPEC} key signs with {SIGNING_ALGORITHM} only."
            )
        try:
            message = base64.b64decode(body.get("Message", ""), validate=True)
        except (binascii.Error, ValueError):
            raise AwsError("ValidationException", "Message is not valid base64.") from None
        if body.get("MessageType", "RAW") == "DIGEST":
            if len(message) != DIGEST_BYTES:
                raise AwsError("ValidationException", "A SHA-256 digest is 32 bytes.")
            signature = self._key.sign(message, ec.ECDSA(Prehashed(hashes.SHA256())))
        else:
            if not 1 <= len(message) <= MAX_RAW_MESSAGE_BYTES:
                raise AwsError("ValidationException", "Message must be 1 to 4096 bytes.")
            signature = self._key.sign(message, ec.ECDSA(hashes.SHA256()))
        return {
            "KeyId": _key_id(body),
            "Signature": base64.b64encode(signature).decode("ascii"),
            "SigningAlgorithm": SIGNING_ALGORITHM,
        }


def _key_id(body: dict[str, Any]) -> str:
    key_id = body.get("KeyId")
    if not key_id:
        raise AwsError("ValidationException", "KeyId is required.")
    return str(key_id)
