"""The buckets: images (staging, quarantine, published), the page, and their access logs."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_s3 as s3
from constructs import Construct

from text2image.domain.storage import QUARANTINE_PREFIX, STAGING_PREFIX, VERIFY_UPLOAD_PREFIX

# Pages served by CloudFront (see Buckets.allow_form_uploads_from_pages).
CLOUDFRONT_ORIGINS = "https://*.cloudfront.net"


def private_bucket(
    scope: Construct,
    construct_id: str,
    object_ownership: s3.ObjectOwnership = s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    **kwargs: object,
) -> s3.Bucket:
    """Private, encrypted, TLS only; emptied and deleted with the stack (see docs/deploy.md, "Teardown")."""
    return s3.Bucket(
        scope,
        construct_id,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
        encryption=s3.BucketEncryption.S3_MANAGED,
        enforce_ssl=True,
        object_ownership=object_ownership,
        removal_policy=RemovalPolicy.DESTROY,
        auto_delete_objects=True,
        **kwargs,  # type: ignore[arg-type]
    )


class Buckets(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, *, staging_expiry_days: int, quarantine_expiry_days: int
    ) -> None:
        super().__init__(scope, construct_id)
        self.access_logs = private_bucket(
            self,
            "AccessLogs",
            lifecycle_rules=[s3.LifecycleRule(id="ExpireAccessLogs", expiration=Duration.days(90))],
        )
        # CloudFront standard logs are delivered with ACLs, so they get their own bucket.
        self.cdn_logs = private_bucket(
            self,
            "CdnLogs",
            object_ownership=s3.ObjectOwnership.OBJECT_WRITER,
            server_access_logs_bucket=self.access_logs,
            server_access_logs_prefix="cdn-logs/",
            lifecycle_rules=[s3.LifecycleRule(id="ExpireCdnLogs", expiration=Duration.days(90))],
        )
        self.images = private_bucket(
            self,
            "Images",
            server_access_logs_bucket=self.access_logs,
            server_access_logs_prefix="images/",
            lifecycle_rules=[
                # The backstop: a run always deletes what it staged, even when it fails.
                s3.LifecycleRule(
                    id="ExpireStagedImages",
                    prefix=STAGING_PREFIX,
                    expiration=Duration.days(staging_expiry_days),
                ),
                s3.LifecycleRule(
                    id="ExpireQuarantinedImages",
                    prefix=QUARANTINE_PREFIX,
                    expiration=Duration.days(quarantine_expiry_days),
                ),
                # POST /verify deletes what it verified; an upload nobody verifies goes after a day.
                s3.LifecycleRule(
                    id="ExpireVerifyUploads", prefix=VERIFY_UPLOAD_PREFIX, expiration=Duration.days(1)
                ),
                s3.LifecycleRule(
                    id="AbortIncompleteUploads", abort_incomplete_multipart_upload_after=Duration.days(1)
                ),
            ],
        )
        self.site = private_bucket(
            self, "Site", server_access_logs_bucket=self.access_logs, server_access_logs_prefix="site/"
        )

    def allow_form_uploads_from_pages(self) -> None:
        """The page posts POST /verify/uploads' form to the image bucket, and reads S3's answer.

        The rule cannot name the site's own domain: the distribution's CSP names this
        bucket, so the bucket naming the distribution would be a dependency cycle. Any
        CloudFront origin is no wider in effect: a form POST is sent whatever the CORS
        rule says (CORS decides only whether the page may read the answer), and what lets
        an upload in is the form's signed policy (one key, 1 byte to 10 MB, an image type,
        5 minutes), which anyone may ask the public route for."""
        self.images.add_cors_rule(
            id="VerifyUploadForms",
            allowed_methods=[s3.HttpMethods.POST],
            allowed_origins=[CLOUDFRONT_ORIGINS],
        )
