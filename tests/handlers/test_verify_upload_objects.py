"""The VerifyUploads adapter against the session's moto S3: an uploaded object is read
once and deleted whatever the answer; S3's failures become answers, never a 500."""

from __future__ import annotations

import uuid

import boto3
import pytest
from botocore.stub import Stubber

from text2image.adapters.verify_uploads import UploadNotFound, UploadRefused, VerifyUploads
from text2image.contract import VERIFY_MEDIA_TYPES
from text2image.domain.verify_uploads import UnknownUploadId, upload_key
from text2image.errors import StorageUnavailable

BUCKET = "text2image-test-verify-uploads"
MAX_BYTES = 1000


@pytest.fixture
def s3(local_env):
    # The session's moto server, not mock_aws(): that would reset every backend it shares.
    client = boto3.client(
        "s3",
        endpoint_url=local_env.moto_url,
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    client.create_bucket(Bucket=BUCKET)
    yield client
    local_env.empty_bucket(BUCKET)
    client.delete_bucket(Bucket=BUCKET)


def uploaded(s3, body: bytes, content_type: str = "image/png") -> str:
    key = upload_key(str(uuid.uuid4()))
    s3.put_object(Bucket=BUCKET, Key=key, Body=body, ContentType=content_type)
    return key


def remaining(s3) -> list[str]:
    return [item["Key"] for item in s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])]


def test_an_upload_is_read_and_then_deleted(s3):
    key = uploaded(s3, b"\x89PNG image bytes")
    assert VerifyUploads(s3, BUCKET).take(key, MAX_BYTES, VERIFY_MEDIA_TYPES) == b"\x89PNG image bytes"
    assert remaining(s3) == []


@pytest.mark.parametrize(
    ("body", "content_type", "reason"),
    [
        (b"x" * (MAX_BYTES + 1), "image/png", "larger than"),
        (b"GIF89a", "image/gif", "not image/gif"),
        (b"text", "text/plain", "not text/plain"),
        (b"", "image/jpeg", "empty"),
    ],
)
def test_an_upload_that_is_refused_is_deleted_too(s3, body, content_type, reason):
    key = uploaded(s3, body, content_type)
    with pytest.raises(UploadRefused, match=reason):
        VerifyUploads(s3, BUCKET).take(key, MAX_BYTES, VERIFY_MEDIA_TYPES)
    assert remaining(s3) == []


def test_a_missing_upload_is_not_found(s3):
    with pytest.raises(UploadNotFound):
        VerifyUploads(s3, BUCKET).take(upload_key(str(uuid.uuid4())), MAX_BYTES, VERIFY_MEDIA_TYPES)


def test_a_key_outside_the_upload_prefix_cannot_be_named():
    for upload_id in ("../staging/abc", "generated_images/x.png", str(uuid.uuid4()) + "/.."):
        with pytest.raises(UnknownUploadId):
            upload_key(upload_id)


def stubbed(get_error: tuple[str, int], delete_error: bool = False) -> tuple[VerifyUploads, Stubber, str]:
    client = boto3.client("s3", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    stubber = Stubber(client)
    key = upload_key(str(uuid.uuid4()))
    code, status = get_error
    stubber.add_client_error("get_object", code, http_status_code=status)
    if delete_error:
        stubber.add_client_error("delete_object", "InternalError", http_status_code=500)
    else:
        stubber.add_response("delete_object", {}, {"Bucket": BUCKET, "Key": key})
    stubber.activate()
    return VerifyUploads(client, BUCKET), stubber, key


def test_without_list_rights_s3_answers_a_missing_key_with_403_which_is_not_found():
    uploads, stubber, key = stubbed(("AccessDenied", 403))
    with pytest.raises(UploadNotFound):
        uploads.take(key, MAX_BYTES, VERIFY_MEDIA_TYPES)
    stubber.assert_no_pending_responses()


def test_s3_unavailable_is_a_retryable_storage_error_and_the_delete_is_still_tried():
    uploads, stubber, key = stubbed(("ServiceUnavailable", 503), delete_error=True)
    with pytest.raises(StorageUnavailable):
        uploads.take(key, MAX_BYTES, VERIFY_MEDIA_TYPES)
    stubber.assert_no_pending_responses()
