"""The provenance signing key: an asymmetric KMS key that signs C2PA manifests, and
the SSM parameter that holds its certificate chain (written by `make provenance-cert`)."""

from __future__ import annotations

from pathlib import Path

from aws_cdk import Annotations, Aws, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from repo_paths import REPO_ROOT

from .functions import ARCHITECTURE, RUNTIME

# Built by `make provenance-layer` (workflow/ops/provenance_layer.py); `make deploy` builds it first.
LAYER_DIR = REPO_ROOT / "build" / "provenance-layer"
# What the layer holds until then: a README, so that every synth has the same resources.
PLACEHOLDER_LAYER_DIR = REPO_ROOT / "cdk" / "provenance-layer-placeholder"

# Under the stack's name, so two stacks in one account keep their own certificates.
CERTIFICATE_PARAMETER_SUFFIX = "/provenance/certificate-chain"


class ProvenanceSigning(Construct):
    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        # The private key never leaves KMS; the function may only ask it to sign.
        self.key = kms.Key(
            self,
            "SigningKey",
            description="Signs the C2PA Content Credentials of every published image (ES256).",
            key_spec=kms.KeySpec.ECC_NIST_P256,
            key_usage=kms.KeyUsage.SIGN_VERIFY,
            # Its certificate is issued for this key: a new key needs a new certificate.
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.certificate_parameter = f"/{Aws.STACK_NAME}{CERTIFICATE_PARAMETER_SUFFIX}"
        self.certificate_parameter_arn = (
            f"arn:{Aws.PARTITION}:ssm:{Aws.REGION}:{Aws.ACCOUNT_ID}:parameter{self.certificate_parameter}"
        )

    def add_layer(self, functions: list[lambda_.Function], layer_dir: Path = LAYER_DIR) -> None:
        """c2pa-python, numpy, PyWavelets and Pillow for the functions that mark and verify."""
        if not (layer_dir / "python").is_dir():
            Annotations.of(self).add_warning_v2(
                "text2image:ProvenanceLayerMissing",
                f"{layer_dir} is not built: run make provenance-layer before deploying, or "
                "MarkProvenance fails every image closed (ProvenanceFailed).",
            )
            layer_dir = PLACEHOLDER_LAYER_DIR
        layer = lambda_.LayerVersion(
            self,
            "Libraries",
            code=lambda_.Code.from_asset(str(layer_dir)),
            compatible_runtimes=[RUNTIME],
            compatible_architectures=[ARCHITECTURE],
            description="c2pa-python, numpy, PyWavelets, Pillow (make provenance-layer)",
        )
        for function in functions:
            function.add_layers(layer)

    def environment(self) -> dict[str, str]:
        return {
            "PROVENANCE_KEY_ID": self.key.key_arn,
            "PROVENANCE_CERTIFICATE_PARAMETER": self.certificate_parameter,
        }

    def allow_signing(self, role: iam.IRole) -> None:
        role.add_to_principal_policy(iam.PolicyStatement(actions=["kms:Sign"], resources=[self.key.key_arn]))
        self.allow_reading_certificate(role)

    def allow_reading_certificate(self, role: iam.IRole) -> None:
        role.add_to_principal_policy(
            iam.PolicyStatement(actions=["ssm:GetParameter"], resources=[self.certificate_parameter_arn])
        )
