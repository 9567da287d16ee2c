import io

import pytest
from PIL import Image
from pydantic import ValidationError

from text2image.config import GenerationConfig
from text2image.contract import GenerateRequest
from text2image.domain.generation import NotAnImage, build_payload, check_image, image_info
from text2image.domain.storage import image_metadata, prompt_hash, published_key, staging_key
from text2image.models import GenerateInput

CONFIG = GenerationConfig(endpoint_name="sdxl", bucket="images")


def encoded(size: tuple[int, int], image_format: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, image_format)
    return buffer.getvalue()


def test_the_payload_gives_the_negative_prompt_a_negative_weight():
    request = GenerateRequest(prompt="a jaguar", negative_prompt="blurry", size="1216x832")
    payload = build_payload(request, seed=42, config=CONFIG)
    assert payload["text_prompts"] == [
        {"text": "a jaguar", "weight": 1.0},
        {"text": "blurry", "weight": -1.0},
    ]
    assert (payload["width"], payload["height"], payload["seed"]) == (1216, 832, 42)
    assert payload["sampler"] == "DPMPP2MSampler"
    assert payload["use_refiner"] is False
    assert "refiner_steps" not in payload


def test_the_refiner_fields_are_sent_only_when_the_refiner_is_on():
    config = GenerationConfig(endpoint_name="sdxl", bucket="images", use_refiner=True, refiner_steps=10)
    payload = build_payload(GenerateRequest(prompt="a jaguar"), seed=1, config=config)
    assert payload["use_refiner"] is True
    assert payload["refiner_steps"] == 10
    assert len(payload["text_prompts"]) == 1


@pytest.mark.parametrize("image_format", ["PNG", "JPEG"])
def test_image_size_is_read_from_the_header(image_format):
    info = image_info(encoded((320, 200), image_format))
    assert (info.format, info.width, info.height) == (image_format.lower(), 320, 200)


def test_an_image_of_the_wrong_size_is_refused():
    with pytest.raises(NotAnImage, match="320x200, not the requested 1024x1024"):
        check_image(encoded((320, 200), "PNG"), 1024, 1024)


@pytest.mark.parametrize("data", [b"", b"<html>error</html>", b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff"])
def test_bytes_that_are_not_an_image_are_refused(data):
    with pytest.raises(NotAnImage):
        image_info(data)


def test_keys_derive_from_the_execution_so_every_state_agrees_on_them():
    execution = "arn:aws:states:us-east-1:1:express:text2image:abc:def"
    assert staging_key("staging/", execution) == staging_key("staging/", execution)
    assert staging_key("staging/", execution) != staging_key("staging/", execution + "x")
    assert published_key("generated_images/", execution).startswith("generated_images/")
    assert published_key("generated_images/", execution).endswith(".png")
    assert published_key("generated_images/", execution, "jpeg").endswith(".jpg")


def test_metadata_records_a_prompt_hash_not_the_prompt():
    metadata = image_metadata("exec-1", 7, "sdxl", "a secret idea", "")
    assert metadata == {
        "execution-id": "exec-1",
        "seed": "7",
        "model": "sdxl",
        "prompt-sha256": prompt_hash("a secret idea", ""),
    }
    assert "secret" not in str(metadata)
    assert prompt_hash("a", "b") != prompt_hash("ab", "")


def test_generation_uses_the_checked_english_texts_not_the_originals():
    step = GenerateInput.model_validate(
        {
            "request": {"prompt": "生成一个美洲虎图片", "negative_prompt": "模糊", "seed": 3},
            "checked_prompts": {"prompt": "a picture of a jaguar", "negative_prompt": "blurry"},
            "execution_id": "arn:execution:1",
        }
    )
    payload = build_payload(step.generation_request(), seed=3, config=CONFIG)
    assert payload["text_prompts"] == [
        {"text": "a picture of a jaguar", "weight": 1.0},
        {"text": "blurry", "weight": -1.0},
    ]


def test_generation_refuses_a_step_without_checked_texts():
    with pytest.raises(ValidationError):
        GenerateInput.model_validate({"request": {"prompt": "a jaguar"}, "execution_id": "arn:execution:1"})


def test_a_jobs_quality_settings_replace_the_configured_ones():
    from text2image.contract import JobRequest

    config = GenerationConfig(endpoint_name="e", bucket="bucket", steps=25, use_refiner=False)
    job = JobRequest(prompt="a cat", steps=50, use_refiner=True, refiner_steps=40, refiner_strength=0.2)

    payload = build_payload(job, 133, config)

    assert (payload["steps"], payload["use_refiner"]) == (50, True)
    assert (payload["refiner_steps"], payload["refiner_strength"]) == (40, 0.2)
    # Unset, the configuration decides.
    plain = build_payload(JobRequest(prompt="a cat"), 1, config)
    assert (plain["steps"], plain["use_refiner"]) == (25, False)
    assert "refiner_steps" not in plain
