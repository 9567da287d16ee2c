"""How the endpoint stand-in finds its pipeline: LOCAL_IMAGE_MODEL, or the
tiny pipeline the project builds. Nothing is downloaded."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from workflow.standins.generator import (
    TINY_MODEL_VERSION,
    GenerationRequest,
    ImageGenerator,
    ensure_tiny_pipeline,
)

REQUEST = GenerationRequest("a lighthouse", "", 256, 256, 3, 7.0, 5, "EulerEDMSampler")


def test_local_image_model_names_a_folder_loaded_by_the_same_code(tmp_path, monkeypatch):
    folder = ensure_tiny_pipeline(tmp_path / "my-model")
    assert (folder / "model_index.json").exists()
    assert (folder / "BUILD_VERSION").read_text() == TINY_MODEL_VERSION
    monkeypatch.setenv("LOCAL_IMAGE_MODEL", str(folder))

    generator = ImageGenerator()
    image = generator.generate(REQUEST)

    assert generator.model == str(folder)
    assert Image.open(io.BytesIO(image)).size == (256, 256)
    assert image == generator.generate(REQUEST)


def test_a_built_pipeline_is_reused_not_rebuilt(tmp_path):
    folder = ensure_tiny_pipeline(tmp_path / "tiny")
    marker = folder / "unet" / "config.json"
    before = marker.stat().st_mtime_ns

    assert ensure_tiny_pipeline(folder) == folder
    assert marker.stat().st_mtime_ns == before
    assert list(tmp_path.iterdir()) == [folder]  # no building folder left behind


def test_a_pipeline_from_an_older_version_of_the_code_is_rebuilt(tmp_path):
    folder = ensure_tiny_pipeline(tmp_path / "tiny")
    (folder / "BUILD_VERSION").write_text("0")

    ensure_tiny_pipeline(folder)
    assert (folder / "BUILD_VERSION").read_text() == TINY_MODEL_VERSION


@pytest.mark.parametrize("model", ["stabilityai/sdxl-turbo-not-downloaded", "/nonexistent/model/folder"])
def test_a_model_that_is_not_on_disk_fails_clearly_and_downloads_nothing(model):
    with pytest.raises(RuntimeError, match=r"LOCAL_IMAGE_MODEL=.*nothing is downloaded"):
        ImageGenerator(model=model).warm_up()


def test_reused_schedulers_keep_a_seed_and_sampler_independent_of_earlier_calls():
    generator = ImageGenerator()
    first = generator.generate(REQUEST)
    for sampler in ("HeunEDMSampler", "DPMPP2MSampler", "LinearMultistepSampler"):
        generator.generate(GenerationRequest("other", "", 256, 256, 3, 5.0, 9, sampler))

    assert generator.generate(REQUEST) == first


def test_the_untrained_tiny_pipeline_comes_with_a_notice_and_a_real_model_without(monkeypatch):
    monkeypatch.delenv("LOCAL_IMAGE_MODEL", raising=False)
    notice = ImageGenerator().notice
    assert "untrained" in notice and "coloured noise" in notice
    assert "LOCAL_IMAGE_MODEL=" in notice

    monkeypatch.setenv("LOCAL_IMAGE_MODEL", "/models/sd-turbo")
    assert ImageGenerator().notice == ""
