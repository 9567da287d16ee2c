"""The `sagemaker` SDK where the original design uses it, and nowhere in the Lambdas.

- `deploy`: `make endpoint` deploys JumpStart SDXL 1.0 as the design's notebook does
  (`JumpStartModel(model_id=...).deploy()` on ml.g5.4xlarge), calls it once with the
  design's own request, and prints the name to pass as `-c existingEndpointName=`.
- `predict`: calls an endpoint directly with a `Predictor` (JSON in, JSON out) and the
  design's request, to tell an endpoint fault from a workflow fault.
- `table`: `make jumpstart-table` resolves the container image and model data of each
  Region with the SDK's retrieve functions and compares them with
  `cdk/text2image_cdk/jumpstart.py`, printing the rows.

Runs in `.venv-sagemaker` (requirements-sagemaker.txt: sagemaker 2.x pins older
attrs, packaging and protobuf than the main venv). `deploy` and `table` need the
network and AWS credentials (the JumpStart manifest is read from S3); `predict`
needs only the runtime endpoint, which `--runtime-endpoint-url` can point at the
local stand-in. This module imports the SDK only inside those commands, so the
main venv can import the pure parts.
"""

from __future__ import annotations

import argparse
import base64
import io
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

MODEL_ID = "model-imagegeneration-stabilityai-stable-diffusion-xl-base-1-0"
INSTANCE_TYPE = "ml.g5.4xlarge"
# The original design's request (its notebook): the refiner on, 50 steps.
ORIGINAL_DESIGN_REQUEST: dict[str, Any] = {
    "text_prompts": [{"text": "jaguar in the Amazon rainforest"}],
    "width": 1024,
    "height": 1024,
    "sampler": "DPMPP2MSampler",
    "cfg_scale": 7.0,
    "steps": 50,
    "seed": 133,
    "use_refiner": True,
    "refiner_steps": 40,
    "refiner_strength": 0.2,
}
IMAGE_MAGIC = {b"\x89PNG\r\n\x1a\n": "PNG", b"\xff\xd8\xff": "JPEG"}


class EndpointAnswerError(ValueError):
    """The endpoint answered, but not with the image the request asked for."""


@dataclass(frozen=True)
class DecodedImage:
    format: str
    width: int
    height: int
    data: bytes


def decode_generated_image(answer: Mapping[str, Any], width: int, height: int) -> DecodedImage:
    """The notebook's step: base64-decode `generated_image`; then check it is a PNG/JPEG of the size asked."""
    encoded = answer.get("generated_image") if isinstance(answer, Mapping) else None
    if not isinstance(encoded, str):
        raise EndpointAnswerError(f"no generated_image in the answer: {str(answer)[:200]}")
    try:
        data = base64.b64decode(encoded, validate=True)
    except ValueError as error:
        raise EndpointAnswerError(f"generated_image is not base64: {error}") from None
    kind = next((name for magic, name in IMAGE_MAGIC.items() if data.startswith(magic)), None)
    if kind is None:
        raise EndpointAnswerError("generated_image is neither PNG nor JPEG")
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        image.load()
        size = image.size
    if size != (width, height):
        raise EndpointAnswerError(f"image is {size[0]}x{size[1]}, expected {width}x{height}")
    return DecodedImage(kind, size[0], size[1], data)


# --- The SDK: session, predictor, model ---------------------------------------


def sagemaker_session(region: str, runtime_endpoint_url: str | None = None) -> Any:
    """A SageMaker Session whose runtime client goes to `runtime_endpoint_url` when given (the stand-in)."""
    import boto3
    import sagemaker

    boto_session = boto3.Session(region_name=region)
    runtime = boto_session.client("sagemaker-runtime", endpoint_url=runtime_endpoint_url)
    return sagemaker.Session(boto_session=boto_session, sagemaker_runtime_client=runtime)


def json_predictor(endpoint_name: str, session: Any) -> Any:
    from sagemaker.deserializers import JSONDeserializer
    from sagemaker.predictor import Predictor
    from sagemaker.serializers import JSONSerializer

    return Predictor(
        endpoint_name=endpoint_name,
        sagemaker_session=session,
        serializer=JSONSerializer(),
        deserializer=JSONDeserializer(),
    )


def predict_original_request(
    predictor: Any, request: Mapping[str, Any] = ORIGINAL_DESIGN_REQUEST
) -> DecodedImage:
    answer = predictor.predict(dict(request))
    return decode_generated_image(answer, int(request["width"]), int(request["height"]))


def jumpstart_model(instance_type: str, session: Any) -> Any:
    from sagemaker.jumpstart.model import JumpStartModel

    return JumpStartModel(model_id=MODEL_ID, instance_type=instance_type, sagemaker_session=session)


def deploy(
    model: Any,
    instance_type: str,
    endpoint_name: str | None,
    request: Mapping[str, Any] = ORIGINAL_DESIGN_REQUEST,
) -> tuple[str, DecodedImage]:
    """The notebook's deploy-then-predict, with a JSON predictor whatever the model's default."""
    from sagemaker.deserializers import JSONDeserializer
    from sagemaker.serializers import JSONSerializer

    predictor = model.deploy(
        initial_instance_count=1,
        instance_type=instance_type,
        endpoint_name=endpoint_name,
        serializer=JSONSerializer(),
        deserializer=JSONDeserializer(),
    )
    return predictor.endpoint_name, predict_original_request(predictor, request)


# --- The per-Region table ------------------------------------------------------


@dataclass(frozen=True)
class RegionArtifacts:
    region: str
    image_uri: str
    model_data_url: str


def retrieve_artifacts(region: str, instance_type: str = INSTANCE_TYPE) -> RegionArtifacts:
    from sagemaker import image_uris, model_uris

    image = image_uris.retrieve(
        region=region,
        framework=None,
        image_scope="inference",
        model_id=MODEL_ID,
        model_version="*",
        instance_type=instance_type,
    )
    model = model_uris.retrieve(model_id=MODEL_ID, model_version="*", model_scope="inference", region=region)
    return RegionArtifacts(region, str(image), str(model))


def table_differences(retrieved: Iterable[RegionArtifacts], kept: Mapping[str, Any]) -> list[str]:
    """What the SDK resolves that the kept table (region -> JumpStartArtifacts) does not say."""
    differences = []
    for row in retrieved:
        known = kept.get(row.region)
        if known is None:
            differences.append(f"{row.region}: not in the table")
            continue
        if known.image_uri != row.image_uri:
            differences.append(f"{row.region}: image {known.image_uri} -> {row.image_uri}")
        if known.model_data_url != row.model_data_url:
            differences.append(f"{row.region}: model data {known.model_data_url} -> {row.model_data_url}")
    return differences


def format_table(rows: Sequence[RegionArtifacts]) -> str:
    """The rows as a Python literal for jumpstart.py, one Region a line, sorted."""
    lines = ["SDXL_ARTIFACT_URIS: dict[str, tuple[str, str]] = {"]
    for row in sorted(rows, key=lambda r: r.region):
        lines.append(f"    {row.region!r}: ({row.image_uri!r}, {row.model_data_url!r}),")
    lines.append("}")
    return "\n".join(lines)


# --- Command line -----------------------------------------------------------------


def _kept_table() -> Mapping[str, Any]:
    from repo_paths import REPO_ROOT

    sys.path.insert(0, str(REPO_ROOT))
    from cdk.text2image_cdk.jumpstart import SDXL_ARTIFACTS

    return SDXL_ARTIFACTS


def _print_image(image: DecodedImage, out: str | None) -> None:
    print(f"decoded {image.format} {image.width}x{image.height} ({len(image.data)} bytes)")
    if out:
        from pathlib import Path

        Path(out).parent.mkdir(parents=True, exist_ok=True)
        Path(out).write_bytes(image.data)
        print(f"saved {out}")


def command_deploy(
    args: argparse.Namespace, model_factory: Callable[[str, Any], Any] = jumpstart_model
) -> int:
    session = sagemaker_session(args.region)
    name, image = deploy(model_factory(args.instance_type, session), args.instance_type, args.endpoint_name)
    _print_image(image, args.out)
    print(f"endpoint: {name}")
    print(f'deploy the stack on it: make deploy CDK_ARGS="-c existingEndpointName={name}"')
    return 0


def command_predict(args: argparse.Namespace) -> int:
    predictor = json_predictor(args.endpoint_name, sagemaker_session(args.region, args.runtime_endpoint_url))
    request = dict(ORIGINAL_DESIGN_REQUEST)
    if args.steps:
        request["steps"] = args.steps
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        image = predict_original_request(predictor, request)
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "Error")
        print(f"endpoint {args.endpoint_name} failed: {code}: {error}", file=sys.stderr)
        return 1
    except (EndpointAnswerError, BotoCoreError) as error:
        print(f"endpoint {args.endpoint_name}: {error}", file=sys.stderr)
        return 1
    _print_image(image, args.out)
    return 0


def command_table(args: argparse.Namespace) -> int:
    kept = _kept_table()
    rows = [retrieve_artifacts(region) for region in (args.regions or sorted(kept))]
    print(format_table(rows))
    differences = table_differences(rows, kept)
    for line in differences:
        print(f"differs: {line}")
    print("the table matches the SDK" if not differences else "update cdk/text2image_cdk/jumpstart.py")
    return 1 if differences else 0


def parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m workflow.ops.jumpstart_sdk", description=__doc__.splitlines()[0]
    )
    commands = parser.add_subparsers(dest="command", required=True)
    deploy_parser = commands.add_parser("deploy", help="deploy JumpStart SDXL 1.0 and call it once")
    deploy_parser.add_argument("--instance-type", default=INSTANCE_TYPE)
    deploy_parser.add_argument("--endpoint-name", help="default: the SDK's generated name")
    predict_parser = commands.add_parser("predict", help="call an endpoint with the design's request")
    predict_parser.add_argument("--endpoint-name", required=True)
    predict_parser.add_argument("--runtime-endpoint-url", help="e.g. the local stand-in's URL")
    predict_parser.add_argument("--steps", type=int, help="override the design's 50 steps")
    table_parser = commands.add_parser("table", help="resolve the per-Region artifacts with the SDK")
    table_parser.add_argument("regions", nargs="*")
    for sub in (deploy_parser, predict_parser):
        sub.add_argument("--out", help="save the image here")
    for sub in (deploy_parser, predict_parser, table_parser):
        sub.add_argument("--region", default=None)
    args = parser.parse_args(argv)
    if args.region is None:
        import os

        args.region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_arguments(argv)
    commands = {"deploy": command_deploy, "predict": command_predict, "table": command_table}
    return commands[args.command](args)


if __name__ == "__main__":
    raise SystemExit(main())
