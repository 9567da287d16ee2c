"""Where the JumpStart SDXL 1.0 container and weights live, per Region.

The `sagemaker` SDK looks these up in the JumpStart manifest over the network,
which cannot happen at synth (or in tests). So the project keeps the table: the
values are JumpStart's spec for
`model-imagegeneration-stabilityai-stable-diffusion-xl-base-1-0` (inference,
spec versions 1.0.1 to 1.0.15 agree on every value here). A row for each Region
the workflow can run in (regions.py). How the table was checked against the
JumpStart specs that a PyPI package ships, and how to re-check it: docs/deploy.md,
"The JumpStart artifact table".
"""

from __future__ import annotations

from dataclasses import dataclass

from .regions import WORKFLOW_REGIONS

MODEL_ID = "model-imagegeneration-stabilityai-stable-diffusion-xl-base-1-0"
# AWS Deep Learning Containers registry, the same account in every Region listed below.
DLC_ACCOUNT = "763104351884"
IMAGE_REPOSITORY = "stabilityai-pytorch-inference"
IMAGE_TAG = "2.0.1-sgm0.1.0-gpu-py310-cu118-ubuntu20.04-sagemaker"
MODEL_DATA_KEY = f"stabilityai-infer/prepack/v1.0.1/infer-prepack-{MODEL_ID}.tar.gz"

# The spec's default and supported inference instance types (1.0.0 listed more; 1.0.1 on
# narrowed them to these). `-c instanceType` must be one of them (settings.py).
DEFAULT_INSTANCE_TYPE = "ml.g5.4xlarge"
SUPPORTED_INSTANCE_TYPES: tuple[str, ...] = ("ml.g5.4xlarge", "ml.g5.8xlarge", "ml.g5.16xlarge")

# The container's environment, exactly the spec's `environment` (JumpStart deploys it so).
CONTAINER_ENVIRONMENT: dict[str, str] = {
    "ENDPOINT_SERVER_TIMEOUT": "3600",
    "MODEL_CACHE_ROOT": "/opt/ml/model",
    "SAGEMAKER_CONTAINER_LOG_LEVEL": "20",
    "SAGEMAKER_ENV": "1",
    "SAGEMAKER_MODEL_SERVER_TIMEOUT": "3600",
    "SAGEMAKER_MODEL_SERVER_WORKERS": "1",
    "SAGEMAKER_PROGRAM": "inference.py",
    "SAGEMAKER_SUBMIT_DIRECTORY": "/opt/ml/model/code",
    "SAI_MODEL_CACHE_FILE": "stabilityai-model-cache.tar.gz",
}


@dataclass(frozen=True)
class JumpStartArtifacts:
    region: str
    image_uri: str
    model_data_bucket: str
    model_data_key: str

    @property
    def model_data_url(self) -> str:
        return f"s3://{self.model_data_bucket}/{self.model_data_key}"

    @property
    def image_repository_arn(self) -> str:
        return f"arn:aws:ecr:{self.region}:{DLC_ACCOUNT}:repository/{IMAGE_REPOSITORY}"


def _artifacts(region: str) -> JumpStartArtifacts:
    return JumpStartArtifacts(
        region=region,
        image_uri=f"{DLC_ACCOUNT}.dkr.ecr.{region}.amazonaws.com/{IMAGE_REPOSITORY}:{IMAGE_TAG}",
        model_data_bucket=f"jumpstart-cache-prod-{region}",
        model_data_key=MODEL_DATA_KEY,
    )


# A row for every Region the workflow can run in (regions.py; docs/deploy.md, "Choosing a Region").
SDXL_ARTIFACTS: dict[str, JumpStartArtifacts] = {
    region: _artifacts(region) for region in sorted(WORKFLOW_REGIONS)
}


class UnsupportedRegion(ValueError):
    pass


def sdxl_artifacts(region: str) -> JumpStartArtifacts:
    try:
        return SDXL_ARTIFACTS[region]
    except KeyError:
        raise UnsupportedRegion(
            f"No SDXL artifacts are known for {region!r}; supported: {sorted(SDXL_ARTIFACTS)}. "
            "Choose one of them, pass -c existingEndpointName=<name>, "
            "or add a row to cdk/text2image_cdk/jumpstart.py."
        ) from None
