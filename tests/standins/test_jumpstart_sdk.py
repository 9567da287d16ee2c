"""The sagemaker SDK path (workflow/ops/jumpstart_sdk.py), up to the network boundary.

The SDK runs in its own venv (.venv-sagemaker, built by `make test`), so the SDK
cases run it as a subprocess against the session's endpoint stand-in: a real
`sagemaker.predictor.Predictor` on a real `sagemaker.Session`, whose runtime
client is pointed at the stand-in. JumpStartModel's own look-ups read the
JumpStart manifest from S3 and are not run here.
"""

from __future__ import annotations

import base64
import io
import os
import subprocess
import textwrap

import pytest
from PIL import Image

from cdk.text2image_cdk.jumpstart import SDXL_ARTIFACTS
from repo_paths import REPO_ROOT
from workflow.local.environment import LocalEnvironment
from workflow.ops.jumpstart_sdk import (
    ORIGINAL_DESIGN_REQUEST,
    EndpointAnswerError,
    RegionArtifacts,
    decode_generated_image,
    format_table,
    table_differences,
)

SAGEMAKER_PYTHON = REPO_ROOT / ".venv-sagemaker" / "bin" / "python"


def encoded(size: tuple[int, int], image_format: str = "PNG") -> str:
    buffer = io.BytesIO()
    Image.new("RGB", size, (10, 20, 30)).save(buffer, format=image_format)
    return base64.b64encode(buffer.getvalue()).decode()


# --- Pure parts: run in the main venv -------------------------------------------


def test_the_design_request_is_the_notebooks():
    assert ORIGINAL_DESIGN_REQUEST | {"text_prompts": None} == {
        "text_prompts": None,
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


def test_generated_image_is_base64_decoded_and_checked():
    image = decode_generated_image({"generated_image": encoded((1024, 1024))}, 1024, 1024)
    assert (image.format, image.width, image.height) == ("PNG", 1024, 1024)
    jpeg = decode_generated_image({"generated_image": encoded((832, 1216), "JPEG")}, 832, 1216)
    assert jpeg.format == "JPEG"


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ({"images": []}, "no generated_image"),
        ({"generated_image": "not base64!"}, "not base64"),
        ({"generated_image": encoded((64, 64), "GIF")}, "neither PNG nor JPEG"),
        ({"generated_image": encoded((512, 512))}, "image is 512x512, expected 1024x1024"),
    ],
)
def test_an_answer_that_is_not_the_image_asked_for_is_an_error(answer, message):
    with pytest.raises(EndpointAnswerError, match=message):
        decode_generated_image(answer, 1024, 1024)


def test_the_table_matches_when_the_sdk_resolves_what_jumpstart_py_keeps():
    rows = [RegionArtifacts(r, a.image_uri, a.model_data_url) for r, a in SDXL_ARTIFACTS.items()]
    assert table_differences(rows, SDXL_ARTIFACTS) == []
    moved = RegionArtifacts(
        "eu-west-1", "763104351884.dkr.ecr.eu-west-1.amazonaws.com/x:2", rows[0].model_data_url
    )
    differences = table_differences([moved, RegionArtifacts("sa-east-1", "i", "m")], SDXL_ARTIFACTS)
    assert differences[0].startswith(
        "eu-west-1: image 763104351884.dkr.ecr.eu-west-1.amazonaws.com/stabilityai"
    )
    assert differences[1].startswith("eu-west-1: model data s3://jumpstart-cache-prod-eu-west-1/")
    assert differences[2] == "sa-east-1: not in the table"


def test_the_printed_table_is_a_sorted_python_literal_of_every_row():
    rows = [
        RegionArtifacts("us-west-2", "img2", "s3://b2/k"),
        RegionArtifacts("eu-west-1", "img1", "s3://b1/k"),
    ]
    text = format_table(rows)
    namespace: dict = {}
    exec(text, namespace)  # the literal is valid Python that jumpstart.py could hold
    assert list(namespace["SDXL_ARTIFACT_URIS"]) == ["eu-west-1", "us-west-2"]
    assert namespace["SDXL_ARTIFACT_URIS"]["us-west-2"] == ("img2", "s3://b2/k")


# --- The SDK itself, in its venv, against the endpoint stand-in -----------------------


def run_in_sdk_venv(arguments: list[str], env: LocalEnvironment) -> subprocess.CompletedProcess[str]:
    assert SAGEMAKER_PYTHON.exists(), "the sagemaker venv is missing: make test builds it (.venv-sagemaker)"
    environment = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    environment |= {
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_REGION": "us-east-1",
        "SAGEMAKER_SUPPRESS_V2_WARNING": "1",
        "STANDINS_URL": env.standins_url,
    }
    return subprocess.run(
        [str(SAGEMAKER_PYTHON), *arguments],
        cwd=REPO_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_sdk_is_the_2x_that_still_has_jumpstart_model_and_predictor(standins):
    result = run_in_sdk_venv(
        [
            "-c",
            "import sagemaker; from sagemaker.jumpstart.model import JumpStartModel; "
            "from sagemaker.predictor import Predictor; print(sagemaker.__version__)",
        ],
        standins,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1].startswith("2.")


def predict_on_the_stand_in(env: LocalEnvironment, *extra: str) -> subprocess.CompletedProcess[str]:
    command = ["predict", "--endpoint-name", "sdxl-notebook", "--runtime-endpoint-url", env.standins_url]
    return run_in_sdk_venv(["-m", "workflow.ops.jumpstart_sdk", *command, *extra], env)


def test_a_predictor_on_a_session_pointed_at_the_stand_in_returns_a_decodable_image(standins, tmp_path):
    out = tmp_path / "sdxl.png"
    result = predict_on_the_stand_in(standins, "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "decoded PNG 1024x1024" in result.stdout
    assert Image.open(out).size == (1024, 1024)


def test_an_endpoint_model_error_fails_the_direct_check(standins):
    from workflow.standins.admin import inject_fault

    inject_fault(standins.standins_url, "sagemaker", "error")
    result = predict_on_the_stand_in(standins)
    assert result.returncode != 0
    assert "ModelError" in result.stderr, (result.returncode, result.stdout, result.stderr)


def test_deploy_deploys_on_the_instance_type_then_predicts_and_prints_the_name(standins):
    # JumpStartModel is replaced at the network boundary only: its deploy() hands back a
    # real Predictor on the stand-in, as the SDK does once the endpoint is InService.
    script = textwrap.dedent(
        """
        import os
        from workflow.ops import jumpstart_sdk as sdk

        calls = []

        class DeployedModel:
            def deploy(self, **kwargs):
                calls.append(kwargs)
                session = sdk.sagemaker_session("us-east-1", os.environ["STANDINS_URL"])
                predictor = sdk.json_predictor("jumpstart-sdxl-1", session)
                assert type(kwargs["serializer"]).__name__ == "JSONSerializer"
                return predictor

        args = sdk.parse_arguments(["deploy", "--region", "us-east-1"])
        code = sdk.command_deploy(args, model_factory=lambda instance_type, session: DeployedModel())
        print("deployed on", calls[0]["instance_type"], "x", calls[0]["initial_instance_count"])
        raise SystemExit(code)
        """
    )
    result = run_in_sdk_venv(["-c", script], standins)
    assert result.returncode == 0, result.stderr
    assert "decoded PNG 1024x1024" in result.stdout
    assert "endpoint: jumpstart-sdxl-1" in result.stdout
    assert '-c existingEndpointName=jumpstart-sdxl-1"' in result.stdout
    assert "deployed on ml.g5.4xlarge x 1" in result.stdout
