"""The images callers upload to POST /verify through S3: the presigned form, the read and the delete."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from text2image.adapters.errors import translate
from text2image.errors import StorageRefused, StorageThrottled, StorageUnavailable
from text2image.observability import logger

# Without s3:ListBucket (not granted: no bucket-wide rights), S3 answers a missing
# key with 403 rather than 404.
_MISSING_CODES = frozenset({"NoSuchKey", "404", "NotFound", "AccessDenied", "403"})


class UploadNotFound(ValueError):
    """No object under the id: never uploaded, already verified, or refused by S3."""


class UploadRefused(ValueError):
    """The object is there but is not an image POST /verify takes."""


class VerifyUploads:
    def __init__(self, client: Any, bucket: str) -> None:
        self._client = client
        self.bucket = bucket

    def form(self, key: str, conditions: list[Any], expires_in: int) -> tuple[str, dict[str, str]]:
        """The presigned POST (url and form fields) that lets a browser put one object at `key`."""
        form = self._client.generate_presigned_post(
            Bucket=self.bucket, Key=key, Conditions=conditions, ExpiresIn=expires_in
        )
        return form["url"], dict(form["fields"])

    def take(self, key: str, max_bytes: int, media_types: tuple[str, ...]) -> bytes:
        """The uploaded image's bytes. The object is deleted afterwards, whatever the answer."""
        try:
            return self._read(key, max_bytes, media_types)
        finally:
            self._delete(key)

    def _read(self, key: str, max_bytes: int, media_types: tuple[str, ...]) -> bytes:
        try:
            answer = self._client.get_object(Bucket=self.bucket, Key=key)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in _MISSING_CODES:
                raise UploadNotFound(
                    "no image was uploaded with this upload_id, or it was verified already"
                ) from None
            raise self._storage_error(error) from None
        except BotoCoreError as error:
            raise self._storage_error(error) from None
        body = answer["Body"]
        try:
            if answer.get("ContentLength", 0) > max_bytes:
                raise UploadRefused(f"the uploaded image is larger than {max_bytes // (1024 * 1024)} MB")
            media_type = (answer.get("ContentType") or "").split(";")[0].strip().lower()
            if media_type not in media_types:
                raise UploadRefused(
                    f"upload the image as {' or '.join(media_types)}, not {media_type or 'nothing'}"
                )
            # S3's policy caps the size; the read is capped as well, so a bigger object cannot fill memory.
            data = body.read(max_bytes + 1)
        except (ClientError, BotoCoreError) as error:
            raise self._storage_error(error) from None
        finally:
            body.close()
        if len(data) > max_bytes:
            raise UploadRefused(f"the uploaded image is larger than {max_bytes // (1024 * 1024)} MB")
        if not data:
            raise UploadRefused("the uploaded image is empty")
        return data

    def _delete(self, key: str) -> None:
        try:
            self._client.delete_object(Bucket=self.bucket, Key=key)
        except (ClientError, BotoCoreError) as error:
            # The lifecycle rule on the prefix removes it within a day.
            logger.warning("a verified upload could not be deleted", extra={"key": key, "error": str(error)})

    @staticmethod
    def _storage_error(error: Exception) -> Exception:
        return translate(
            error,
            throttled=StorageThrottled,
            unavailable=StorageUnavailable,
            permanent=StorageRefused,
            message="The uploaded image could not be read",
        )
