"""The image bucket."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from text2image.adapters.errors import translate
from text2image.errors import StagedImageMissing, StorageRefused, StorageThrottled, StorageUnavailable

_MISSING_CODES = frozenset({"NoSuchKey", "404", "NotFound"})


@contextmanager
def _storage_errors(message: str) -> Iterator[None]:
    try:
        yield
    except (ClientError, BotoCoreError) as error:
        missing = (
            isinstance(error, ClientError) and error.response.get("Error", {}).get("Code") in _MISSING_CODES
        )
        raise translate(
            error,
            throttled=StorageThrottled,
            unavailable=StorageUnavailable,
            permanent=StagedImageMissing if missing else StorageRefused,
            message=message,
        ) from None


class ImageBucket:
    def __init__(self, client: Any, bucket: str) -> None:
        self._client = client
        self.name = bucket

    def put(self, key: str, data: bytes, content_type: str, metadata: dict[str, str] | None = None) -> None:
        with _storage_errors("The image could not be saved"):
            self._client.put_object(
                Bucket=self.name, Key=key, Body=data, ContentType=content_type, Metadata=metadata or {}
            )

    def get(self, key: str) -> tuple[bytes, dict[str, str]]:
        """The object's bytes and user metadata."""
        with _storage_errors("The image could not be read"):
            answer = self._client.get_object(Bucket=self.name, Key=key)
            return answer["Body"].read(), answer.get("Metadata", {})

    def copy(
        self,
        source_key: str,
        target_key: str,
        content_type: str | None = None,
        metadata: dict[str, str] | None = None,
    ) -> None:
        """Copy within the bucket; with no content type and metadata, the source's are kept."""
        replace = {"MetadataDirective": "REPLACE", "ContentType": content_type, "Metadata": metadata or {}}
        with _storage_errors("The image could not be copied"):
            self._client.copy_object(
                Bucket=self.name,
                Key=target_key,
                CopySource={"Bucket": self.name, "Key": source_key},
                **(replace if content_type else {"MetadataDirective": "COPY"}),
            )

    def read(self, key: str) -> bytes:
        with _storage_errors("The image could not be read"):
            return self._client.get_object(Bucket=self.name, Key=key)["Body"].read()

    def delete(self, key: str) -> None:
        """Idempotent: deleting a missing key succeeds."""
        with _storage_errors("The image could not be deleted"):
            self._client.delete_object(Bucket=self.name, Key=key)

    def presigned_url(self, key: str, expires_in: int) -> str:
        return self._client.generate_presigned_url(
            "get_object", Params={"Bucket": self.name, "Key": key}, ExpiresIn=expires_in
        )
