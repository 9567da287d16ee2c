"""Signing with an AWS KMS asymmetric key (ECC_NIST_P256, SIGN_VERIFY): the private
key never leaves KMS.

C2PA signs with COSE ES256, whose signature is the raw 64-byte `r||s`; KMS answers
ECDSA_SHA_256 signatures DER-encoded, so each one is converted.
"""

from __future__ import annotations

import hashlib
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from text2image.adapters.errors import translate
from text2image.errors import SigningRefused, SigningThrottled, SigningUnavailable

SIGNING_ALGORITHM = "ECDSA_SHA_256"
# P-256: r and s are 32 bytes each.
COORDINATE_BYTES = 32
MAX_RAW_MESSAGE_BYTES = 4096


def der_to_raw(signature: bytes) -> bytes:
    """A DER ECDSA signature as COSE's fixed-length `r||s`."""
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

    r, s = decode_dss_signature(signature)
    return r.to_bytes(COORDINATE_BYTES, "big") + s.to_bytes(COORDINATE_BYTES, "big")


class KmsSigner:
    """`sign(data)` for c2pa-python's callback signer, by kms:Sign on one key."""

    def __init__(self, client: Any, key_id: str) -> None:
        self._client = client
        self.key_id = key_id

    def sign(self, data: bytes) -> bytes:
        # KMS takes at most 4096 bytes of RAW message (a C2PA claim's COSE structure is
        # usually well under that); a longer one is sent as its SHA-256 DIGEST, which
        # gives the same ECDSA_SHA_256 signature.
        if len(data) <= MAX_RAW_MESSAGE_BYTES:
            message, message_type = data, "RAW"
        else:
            message, message_type = hashlib.sha256(data).digest(), "DIGEST"
        try:
            answer = self._client.sign(
                KeyId=self.key_id,
                Message=message,
                MessageType=message_type,
                SigningAlgorithm=SIGNING_ALGORITHM,
            )
        except (ClientError, BotoCoreError) as error:
            raise translate(
                error,
                throttled=SigningThrottled,
                unavailable=SigningUnavailable,
                permanent=SigningRefused,
                message="The image could not be signed",
            ) from None
        return der_to_raw(answer["Signature"])
