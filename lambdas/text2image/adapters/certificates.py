"""The signing certificate chain, kept in an SSM parameter by `make provenance-cert`.

Read on first use and kept for the container's life: a new certificate reaches
new containers (and every container after a redeploy). The SSM client is made on
that first use too, since it is used once per container.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from text2image.adapters.errors import translate
from text2image.errors import SigningRefused, SigningThrottled, SigningUnavailable

PEM_END = "-----END CERTIFICATE-----"


def split_chain(chain_pem: str) -> list[str]:
    """Each certificate of a PEM chain, in order."""
    parts = [part.strip() for part in chain_pem.split(PEM_END) if part.strip()]
    return [f"{part}\n{PEM_END}\n" for part in parts]


class CertificateChain:
    def __init__(self, client: Any | Callable[[], Any], parameter: str) -> None:
        # A client, or a function that makes one when the chain is first read.
        self._client = client
        self._parameter = parameter
        self._lock = threading.Lock()
        self._chain: str | None = None

    def pem(self) -> str:
        """The chain, leaf first, as PEM."""
        with self._lock:
            if self._chain is None:
                self._chain = self._read()
            return self._chain

    def root_pem(self) -> str:
        """The chain's last certificate: the trust anchor a verifier is given."""
        return split_chain(self.pem())[-1]

    def _read(self) -> str:
        client = self._client() if callable(self._client) else self._client
        try:
            value = client.get_parameter(Name=self._parameter)["Parameter"]["Value"]
        except (ClientError, BotoCoreError) as error:
            raise translate(
                error,
                throttled=SigningThrottled,
                unavailable=SigningUnavailable,
                permanent=SigningRefused,
                message="The signing certificate could not be read (run make provenance-cert)",
            ) from None
        if PEM_END not in value:
            raise SigningRefused("The signing certificate parameter holds no PEM certificate")
        return value
