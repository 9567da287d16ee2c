"""The diffusers pipeline behind the SDXL endpoint stand-in.

`LOCAL_IMAGE_MODEL` names a folder (or a model id already in the local
Hugging Face cache) holding a text-to-image pipeline, for example sd-turbo or
sdxl-turbo. Without it, the project builds a tiny pipeline of the Stable
Diffusion architecture with untrained weights, once, under `.cache/`: its
pictures are coloured noise, not meaningful images, but they go through the
same loading code, schedulers, seed and VAE decoding as a real model, at the
requested size, in well under a second. Nothing is ever downloaded.
"""

from __future__ import annotations

import io
import os
import shutil
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from repo_paths import CACHE_DIR

TINY_MODEL_DIR = CACHE_DIR / "tiny-sd-pipeline"
TINY_MODEL_VERSION = "6"
LATENT_LEVELS = 6

UNTRAINED_MODEL_NOTICE = (
    "The local image model is the untrained tiny pipeline: its images are coloured noise, not pictures. "
    "For real images, set LOCAL_IMAGE_MODEL to a folder holding a diffusers text-to-image pipeline "
    '(for example a saved sd-turbo): LOCAL_IMAGE_MODEL=/path/to/sd-turbo make run PROMPT="..."'
)

# JumpStart's SDXL sampler names (Stability's sgm samplers) and the closest diffusers schedulers.
SCHEDULERS = {
    "EulerEDMSampler": ("EulerDiscreteScheduler", {}),
    "HeunEDMSampler": ("HeunDiscreteScheduler", {}),
    "EulerAncestralSampler": ("EulerAncestralDiscreteScheduler", {}),
    "DPMPP2SAncestralSampler": ("DPMSolverSinglestepScheduler", {}),
    "DPMPP2MSampler": ("DPMSolverMultistepScheduler", {"algorithm_type": "dpmsolver++"}),
    "LinearMultistepSampler": ("LMSDiscreteScheduler", {}),
}


@dataclass(frozen=True)
class GenerationRequest:
    prompt: str
    negative_prompt: str
    width: int
    height: int
    steps: int
    cfg_scale: float
    seed: int
    sampler: str


def _byte_vocabulary() -> dict[str, int]:
    """A CLIP byte-level vocabulary with no merges: every character is a token.
    The tiny model has no trained tokenizer to ship, so it builds its own."""
    from transformers.convert_slow_tokenizer import bytes_to_unicode

    symbols = list(bytes_to_unicode().values())
    tokens = symbols + [symbol + "</w>" for symbol in symbols] + ["<|startoftext|>", "<|endoftext|>"]
    return {token: index for index, token in enumerate(tokens)}


def build_tiny_pipeline(target: Path) -> None:
    """Build and save the untrained tiny Stable Diffusion pipeline."""
    import torch
    from diffusers import (
        AutoencoderKL,
        DPMSolverMultistepScheduler,
        StableDiffusionPipeline,
        UNet2DConditionModel,
    )
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer

    torch.manual_seed(0)
    target.mkdir(parents=True, exist_ok=True)
    vocabulary = _byte_vocabulary()
    tokenizer = CLIPTokenizer(vocab=vocabulary, merges=[], model_max_length=77)
    text_encoder = CLIPTextModel(
        CLIPTextConfig(
            vocab_size=len(vocabulary),
            hidden_size=32,
            intermediate_size=64,
            num_hidden_layers=2,
            num_attention_heads=4,
            max_position_embeddings=77,
            bos_token_id=vocabulary["<|startoftext|>"],
            eos_token_id=vocabulary["<|endoftext|>"],
            pad_token_id=vocabulary["<|endoftext|>"],
        )
    )
    unet = UNet2DConditionModel(
        # Attention only at 1/8 of the latent's side: the cost of a step stays
        # small even for a 128 x 128 latent (a 1024 x 1024 image).
        sample_size=32,
        in_channels=4,
        out_channels=4,
        layers_per_block=1,
        block_out_channels=(4, 8, 16, 32),
        down_block_types=("DownBlock2D", "DownBlock2D", "DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D", "UpBlock2D", "UpBlock2D"),
        cross_attention_dim=32,
        attention_head_dim=4,
        norm_num_groups=4,
    )
    vae = AutoencoderKL(
        in_channels=3,
        out_channels=3,
        latent_channels=4,
        # Six levels: the latent is 1/32 of the image's side (Stable Diffusion's
        # is 1/8), and one resnet per level, which keeps a 1024 x 1024 image
        # near a second on a CPU.
        block_out_channels=(4,) * LATENT_LEVELS,
        down_block_types=("DownEncoderBlock2D",) * LATENT_LEVELS,
        up_block_types=("UpDecoderBlock2D",) * LATENT_LEVELS,
        layers_per_block=0,
        norm_num_groups=4,
        mid_block_add_attention=False,
    )
    pipeline = StableDiffusionPipeline(
        unet=unet,
        vae=vae,
        text_encoder=text_encoder,
        tokenizer=tokenizer,
        scheduler=DPMSolverMultistepScheduler(steps_offset=1),
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )
    pipeline.save_pretrained(str(target))
    (target / "BUILD_VERSION").write_text(TINY_MODEL_VERSION)


def ensure_tiny_pipeline(target: Path = TINY_MODEL_DIR) -> Path:
    """The tiny pipeline's folder, built first if it is missing or from an older
    version of this code. It is built aside and renamed into place, so that two
    processes starting at once never load a half-written folder."""
    stamp = target / "BUILD_VERSION"
    if stamp.exists() and stamp.read_text() == TINY_MODEL_VERSION:
        return target
    staging = target.with_name(f"{target.name}.{os.getpid()}.building")
    shutil.rmtree(staging, ignore_errors=True)
    build_tiny_pipeline(staging)
    if stamp.exists() and stamp.read_text() == TINY_MODEL_VERSION:  # another process won the race
        shutil.rmtree(staging, ignore_errors=True)
        return target
    shutil.rmtree(target, ignore_errors=True)
    try:
        staging.rename(target)
    except OSError:  # built by another process in the meantime
        shutil.rmtree(staging, ignore_errors=True)
    return target


def _without_onednn(module: Any) -> None:
    """Run a module with PyTorch's native convolutions instead of oneDNN's.

    oneDNN sets up each convolution for about 0.2 ms, which is most of a step
    for the tiny UNet's small tensors: without it a step takes 40 % less. Its
    VAE works on full-size images and keeps oneDNN. Real models are left alone.
    """
    import torch

    forward = module.forward
    # Toggling the flags warns once that TF32 needs an Intel GPU; there is none to use.
    warnings.filterwarnings("ignore", message="TF32 acceleration on top of oneDNN")

    def forward_without_onednn(*args: Any, **kwargs: Any) -> Any:
        with torch.backends.mkldnn.flags(enabled=False):
            return forward(*args, **kwargs)

    module.forward = forward_without_onednn


class ImageGenerator:
    """One pipeline per process, loaded on first use; calls are serialised."""

    def __init__(self, model: str | None = None) -> None:
        self.model = model or os.environ.get("LOCAL_IMAGE_MODEL") or ""
        self._lock = threading.Lock()
        self._pipeline: Any = None
        self._base_scheduler_config: Any = None
        self._schedulers: dict[str, Any] = {}

    @property
    def description(self) -> str:
        return self.model or f"tiny untrained Stable Diffusion pipeline ({TINY_MODEL_DIR})"

    @property
    def notice(self) -> str:
        """What a user must know about the images before looking at them ("" for a real model)."""
        return "" if self.model else UNTRAINED_MODEL_NOTICE

    def _load(self) -> Any:
        if self._pipeline is not None:
            return self._pipeline
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        import diffusers
        import torch
        import transformers
        from diffusers import AutoPipelineForText2Image

        for library in (diffusers, transformers):
            library.logging.set_verbosity_error()
            library.logging.disable_progress_bar()

        source = self.model or str(ensure_tiny_pipeline())
        try:
            pipeline = AutoPipelineForText2Image.from_pretrained(source, local_files_only=True)
        except (OSError, ValueError) as error:
            raise RuntimeError(
                f"LOCAL_IMAGE_MODEL={source!r} is neither a folder holding a diffusers text-to-image "
                "pipeline nor a model already in the local Hugging Face cache (nothing is downloaded): "
                f"{error}"
            ) from error
        if getattr(pipeline, "safety_checker", None) is not None:
            pipeline.safety_checker = None  # Rekognition moderates; the stand-in must not pre-filter.
        pipeline.set_progress_bar_config(disable=True)
        torch.set_grad_enabled(False)
        if not self.model:
            _without_onednn(pipeline.unet)
        self._base_scheduler_config = pipeline.scheduler.config
        self._pipeline = pipeline
        return pipeline

    def warm_up(self) -> None:
        """Load the pipeline and run it once at the default size: torch's first
        pass at a new shape is several times slower than the next ones."""
        self.generate(GenerationRequest("warm up", "", 1024, 1024, 2, 7.0, 0, "DPMPP2MSampler"))

    def _scheduler(self, sampler: str) -> Any:
        """One scheduler per sampler, made once from the model's own scheduler
        configuration and reused (each call resets its timesteps)."""
        if sampler not in self._schedulers:
            import diffusers

            name, options = SCHEDULERS[sampler]
            self._schedulers[sampler] = getattr(diffusers, name).from_config(
                self._base_scheduler_config, **options
            )
        return self._schedulers[sampler]

    def generate(self, request: GenerationRequest) -> bytes:
        import torch

        with self._lock:
            pipeline = self._load()
            pipeline.scheduler = self._scheduler(request.sampler)
            generator = torch.Generator("cpu").manual_seed(request.seed)
            with torch.inference_mode():
                image = pipeline(
                    prompt=request.prompt,
                    negative_prompt=request.negative_prompt or None,
                    width=request.width,
                    height=request.height,
                    num_inference_steps=request.steps,
                    guidance_scale=request.cfg_scale,
                    generator=generator,
                ).images[0]
        if image.size != (request.width, request.height):
            # The tiny model's latent is 1/32 of the side, so a side that is a
            # multiple of 8 but not of 32 comes out short (the nine SDXL sizes
            # are multiples of 64).
            image = image.resize((request.width, request.height))
        buffer = io.BytesIO()
        image.save(buffer, format="PNG", compress_level=1)
        return buffer.getvalue()
