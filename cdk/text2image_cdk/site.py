"""CloudFront: the page from a private bucket (origin access control), `/api/*` to the REST API."""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Aws, Duration
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_deployment as s3deploy
from constructs import Construct

from .paths import FRONTEND_DIR

API_PATH_PATTERN = "/api/*"


def content_security_policy(image_bucket: s3.IBucket, sign_in_endpoint: str | None = None) -> str:
    # Approved images are shown (and downloaded) from presigned S3 URLs.
    images = f"https://{image_bucket.bucket_name}.s3.amazonaws.com https://{image_bucket.bucket_regional_domain_name}"
    if sign_in_endpoint:
        # The page signs in with Cognito's InitiateAuth (frontend/auth.js).
        images += f" {sign_in_endpoint}"
    return "; ".join(
        [
            "default-src 'self'",
            f"img-src 'self' data: blob: {images}",
            f"connect-src 'self' {images}",
            "script-src 'self'",
            "style-src 'self'",
            "font-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
            "upgrade-insecure-requests",
        ]
    )


class Site(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        site_bucket: s3.Bucket,
        image_bucket: s3.IBucket,
        log_bucket: s3.IBucket,
        rest_api_id: str,
        page_config: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        headers = cloudfront.ResponseHeadersPolicy(
            self,
            "SecurityHeaders",
            comment="text2image: CSP and the usual security headers",
            security_headers_behavior=cloudfront.ResponseSecurityHeadersBehavior(
                content_security_policy=cloudfront.ResponseHeadersContentSecurityPolicy(
                    content_security_policy=content_security_policy(
                        image_bucket, (page_config or {}).get("endpoint")
                    ),
                    override=True,
                ),
                strict_transport_security=cloudfront.ResponseHeadersStrictTransportSecurity(
                    access_control_max_age=Duration.days(365), include_subdomains=True, override=True
                ),
                content_type_options=cloudfront.ResponseHeadersContentTypeOptions(override=True),
                frame_options=cloudfront.ResponseHeadersFrameOptions(
                    frame_option=cloudfront.HeadersFrameOption.DENY, override=True
                ),
                referrer_policy=cloudfront.ResponseHeadersReferrerPolicy(
                    referrer_policy=cloudfront.HeadersReferrerPolicy.STRICT_ORIGIN_WHEN_CROSS_ORIGIN,
                    override=True,
                ),
            ),
        )
        # The API's stage is named `api`, so `/api/generate` at the edge is
        # `/api/generate` at the origin: no origin path, no rewriting. The origin
        # is built from the API id (not its URL) so the API may name this
        # distribution's domain as its CORS origin without a cycle.
        api_origin = origins.HttpOrigin(
            f"{rest_api_id}.execute-api.{Aws.REGION}.{Aws.URL_SUFFIX}",
            protocol_policy=cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
            origin_ssl_protocols=[cloudfront.OriginSslPolicy.TLS_V1_2],
        )
        self.distribution = cloudfront.Distribution(
            self,
            "Distribution",
            comment="text2image: page and API",
            default_root_object="index.html",
            http_version=cloudfront.HttpVersion.HTTP2_AND_3,
            price_class=cloudfront.PriceClass.PRICE_CLASS_100,
            enable_logging=True,
            log_bucket=log_bucket,
            log_file_prefix="cloudfront/",
            default_behavior=cloudfront.BehaviorOptions(
                origin=origins.S3BucketOrigin.with_origin_access_control(site_bucket),
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                cache_policy=cloudfront.CachePolicy.CACHING_OPTIMIZED,
                response_headers_policy=headers,
            ),
            additional_behaviors={
                API_PATH_PATTERN: cloudfront.BehaviorOptions(
                    origin=api_origin,
                    viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
                    allowed_methods=cloudfront.AllowedMethods.ALLOW_ALL,
                    cache_policy=cloudfront.CachePolicy.CACHING_DISABLED,
                    origin_request_policy=cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
                    response_headers_policy=headers,
                )
            },
        )
        self.url = f"https://{self.distribution.distribution_domain_name}"
        s3deploy.BucketDeployment(
            self,
            "Page",
            sources=[
                s3deploy.Source.asset(str(FRONTEND_DIR)),
                # How the page signs in (frontend/auth.js), known only once deployed.
                s3deploy.Source.json_data("auth-config.json", dict(page_config or {"auth": "none"})),
            ],
            destination_bucket=site_bucket,
            distribution=self.distribution,
            distribution_paths=["/*"],
            memory_limit=256,
        )
