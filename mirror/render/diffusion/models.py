"""The diffusion stage's networks: diffusers and transformers components, held as plain modules.

    models = load(DIR, device, dtype, controlnet=True)   # a local directory in LAYOUT, offline
    models = tiny(device, dtype, seed)                    # random tiny versions of the same classes
    models = real_architectures(device, dtype)            # SD-Turbo-sized, random weights (bench, `random`)
    models.save(DIR)                                      # LAYOUT, loadable by load()

The directory's layout is in layout.py. Only the scheduler's config is read: the engine runs one
step at a fixed timestep itself, from the schedule's alphas_cumprod and its prediction type.

Loading is offline by `local_files_only=True` on every from_pretrained: diffusers and transformers
then read the folder and never ask the hub. (Setting HF_HUB_OFFLINE here would not do it:
huggingface_hub reads that variable once, when it is first imported, and a worker thread changing
the process's environment races every other thread.)
"""
from __future__ import annotations

import contextlib
import json
import logging
import os
import string
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import torch
from diffusers import AutoencoderTiny, ControlNetModel, EulerDiscreteScheduler, UNet2DConditionModel
from torch import nn
from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer

from mirror.render.diffusion.layout import FETCH_HINT, WEIGHT_SUFFIXES, DiffusionWeightsError, layout_problem

log = logging.getLogger(__name__)

# SD-Turbo's schedule (its scheduler/scheduler_config.json): SD 2.x's scaled-linear betas, epsilon
# prediction, trailing spacing.
SD_TURBO_SCHEDULER = dict(
    num_train_timesteps=1000, beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear",
    prediction_type="epsilon", timestep_spacing="trailing", steps_offset=1,
)
# SD-Turbo's UNet (= SD 2.1's at 512²).
SD_TURBO_UNET = dict(
    sample_size=64, in_channels=4, out_channels=4, layers_per_block=2,
    block_out_channels=(320, 640, 1280, 1280),
    down_block_types=("CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"),
    up_block_types=("UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"),
    attention_head_dim=(5, 10, 20, 20), cross_attention_dim=1024, use_linear_projection=True,
)
# SD 2.x's text encoder: OpenCLIP ViT-H/14's text tower without its last layer (diffusers' layout).
OPENCLIP_VIT_H_TEXT = dict(
    vocab_size=49408, hidden_size=1024, intermediate_size=4096, num_hidden_layers=23,
    num_attention_heads=16, max_position_embeddings=77, hidden_act="gelu", projection_dim=512,
)
TINY_UNET = dict(
    sample_size=8, in_channels=4, out_channels=4, layers_per_block=1, block_out_channels=(32, 64),
    down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"), up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
    attention_head_dim=(2, 4), cross_attention_dim=32, use_linear_projection=True,
)
TINY_TAESD = dict(
    encoder_block_out_channels=(16, 16, 16, 16), decoder_block_out_channels=(16, 16, 16, 16),
    num_encoder_blocks=(1, 1, 1, 1), num_decoder_blocks=(1, 1, 1, 1),
)
TINY_TEXT = dict(hidden_size=32, intermediate_size=37, num_hidden_layers=2, num_attention_heads=4,
                 max_position_embeddings=77)
TINY_CONTROLNET_EMBEDDING = (8, 8, 16, 16)  # four entries: three stride-2 convs reach the latent's size

# Words the tiny tokenizer keeps whole (others fall back to letters), so a scene prompt fits in 77
# tokens and a change of theme or style near its end still changes the embedding.
TINY_TOKENIZER_WORDS = (
    "a", "an", "the", "person", "holding", "wearing", "and", "with", "some", "in", "of", "on", "at",
    "style", "by", "from", "art", "painting", "photo", "dark", "light", "blue", "red", "green",
    "gold", "golden", "black", "white", "castle", "palace", "space", "sea", "forest", "city", "game",
    "thrones", "sword", "crown", "hat", "cape", "trees", "palm", "medieval", "throne", "room", "ice",
    "star", "night", "van", "gogh", "anime", "comic", "oil", "cinematic", "lighting", "detailed",
)


@dataclass
class DiffusionModels:
    unet: UNet2DConditionModel
    vae: AutoencoderTiny  # TAESD
    text_encoder: CLIPTextModel
    tokenizer: CLIPTokenizer
    scheduler: EulerDiscreteScheduler  # only its schedule is used (and by the bench's diffusers pipeline)
    controlnet: ControlNetModel | None = None

    @property
    def alphas_cumprod(self) -> torch.Tensor:
        """(num_train_timesteps,) float32, ᾱ_t of the schedule."""
        return self.scheduler.alphas_cumprod

    @property
    def prediction_type(self) -> str:
        return self.scheduler.config.prediction_type

    @property
    def num_train_timesteps(self) -> int:
        return int(self.scheduler.config.num_train_timesteps)

    @property
    def device(self) -> torch.device:
        return self.unet.device

    @property
    def dtype(self) -> torch.dtype:
        return self.unet.dtype

    def modules(self) -> list[nn.Module]:
        return [m for m in (self.unet, self.vae, self.text_encoder, self.controlnet) if m is not None]

    def prepare(self, device: torch.device, dtype: torch.dtype) -> "DiffusionModels":
        """On `device` in `dtype`, inference only; channels_last on CUDA (its convolutions' fast layout)."""
        for module in self.modules():
            if module.dtype != dtype or module.device != device:
                module.to(device=device, dtype=dtype)
            module.eval().requires_grad_(False)
        if device.type == "cuda":
            for module in (self.unet, self.vae, self.controlnet):
                if module is not None:
                    module.to(memory_format=torch.channels_last)
        return self

    def save(self, directory: str | os.PathLike) -> Path:
        """Write LAYOUT into `directory` (created); load(directory) gives these models back."""
        directory = Path(directory)
        self.unet.save_pretrained(directory / "unet")
        self.vae.save_pretrained(directory / "vae")
        self.text_encoder.save_pretrained(directory / "text_encoder")
        self.tokenizer.save_pretrained(directory / "tokenizer")
        self.scheduler.save_pretrained(directory / "scheduler")
        if self.controlnet is not None:
            self.controlnet.save_pretrained(directory / "controlnet")
        return directory


# ---- a local directory ----------------------------------------------------------------------------

def load(directory: str | os.PathLike, device: torch.device | str, dtype: torch.dtype,
         controlnet: bool = True) -> DiffusionModels:
    """The models in `directory` (LAYOUT), read offline; DiffusionWeightsError when missing or broken."""
    directory, device = Path(directory), torch.device(device)
    problem = layout_problem(directory, controlnet)
    if problem:
        raise DiffusionWeightsError(problem)

    def read(sub: str, loader):
        try:
            return loader(directory / sub)
        except Exception as exc:  # OSError, ValueError, SafetensorError, …: all mean "fetch again"
            raise DiffusionWeightsError(
                f"could not load {sub}/ from {directory} ({type(exc).__name__}: {exc}): "
                f"run `{FETCH_HINT.format(dir=directory)}` again") from exc

    models = DiffusionModels(
        unet=read("unet", lambda p: UNet2DConditionModel.from_pretrained(
            p, torch_dtype=dtype, variant=_variant(p), local_files_only=True)),
        vae=read("vae", lambda p: AutoencoderTiny.from_pretrained(
            p, torch_dtype=dtype, variant=_variant(p), local_files_only=True)),
        # transformers 5 names the argument dtype (pyproject: transformers>=5)
        text_encoder=read("text_encoder", lambda p: CLIPTextModel.from_pretrained(
            p, dtype=dtype, variant=_variant(p), local_files_only=True)),
        tokenizer=read("tokenizer", lambda p: CLIPTokenizer.from_pretrained(p, local_files_only=True)),
        scheduler=read("scheduler", _read_scheduler),
        controlnet=read("controlnet", lambda p: ControlNetModel.from_pretrained(
            p, torch_dtype=dtype, variant=_variant(p), local_files_only=True)) if controlnet else None,
    )
    return models.prepare(device, dtype)


def _variant(folder: Path) -> str | None:
    """"fp16" when the folder holds fp16 variant files only (as `mirror weights fetch` writes them)."""
    names = [p.name for p in folder.iterdir() if p.name.endswith(WEIGHT_SUFFIXES)]
    if names and all(".fp16." in name for name in names):
        return "fp16"
    return None


def _read_scheduler(folder: Path) -> EulerDiscreteScheduler:
    config = json.loads((folder / "scheduler_config.json").read_text())
    # Any DDPM-family scheduler holds the same alphas_cumprod; Euler is SD-Turbo's own.
    return EulerDiscreteScheduler.from_config(config)


# ---- built in code, random weights ----------------------------------------------------------------

def tiny(device: torch.device | str = "cpu", dtype: torch.dtype = torch.float32, seed: int = 0,
         controlnet: bool = True) -> DiffusionModels:
    """Random-weight tiny versions of the same classes (~1 M parameters), built in ~0.1 s.

    Two changes from plain random init make the tiny path show what it does: TAESD's last decoder
    layer gets larger weights (random TAESD decodes every latent to a nearly constant colour), and the
    ControlNet's zero convolutions small random ones (at zero, as untrained, the pose reaches nothing).
    """
    with _seeded(seed):
        tokenizer = tiny_tokenizer()
        text_encoder = CLIPTextModel(CLIPTextConfig(
            vocab_size=len(tokenizer), bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
            pad_token_id=tokenizer.pad_token_id, **TINY_TEXT))
        unet = UNet2DConditionModel(**TINY_UNET)
        vae = AutoencoderTiny(**TINY_TAESD)
        last = vae.decoder.layers[-1]  # Conv2d(16 → 3): outputs ≈ 0.5 ± 0.15 → pixels ≈ 128 ± 40
        nn.init.normal_(last.weight, std=0.2)
        nn.init.constant_(last.bias, 0.5)
        net = None
        if controlnet:
            net = ControlNetModel.from_unet(unet, conditioning_embedding_out_channels=TINY_CONTROLNET_EMBEDDING)
            zero_convs = [net.controlnet_cond_embedding.conv_out, *net.controlnet_down_blocks, net.controlnet_mid_block]
            for conv in zero_convs:
                nn.init.normal_(conv.weight, std=0.05)
        scheduler = EulerDiscreteScheduler.from_config(SD_TURBO_SCHEDULER)
    models = DiffusionModels(unet, vae, text_encoder, tokenizer, scheduler, net)
    return models.prepare(torch.device(device), dtype)


def real_architectures(device: torch.device | str = "cpu", dtype: torch.dtype = torch.float32, seed: int = 0,
                       controlnet: bool = True) -> DiffusionModels:
    """SD-Turbo's UNet (866 M), TAESD (2.4 M), OpenCLIP ViT-H's text encoder (340 M) and a ControlNet
    made from the UNet (364 M), random weights: the real shapes and FLOPs, so speed only.

    Built on `device` directly (fp32, then cast): a GPU initialises 1.5 G parameters in a second."""
    device = torch.device(device)
    with _seeded(seed), device:
        tokenizer = tiny_tokenizer()  # the token count (77) is all that matters for speed
        text_encoder = CLIPTextModel(CLIPTextConfig(
            bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
            pad_token_id=tokenizer.pad_token_id, **OPENCLIP_VIT_H_TEXT))
        unet = UNet2DConditionModel(**SD_TURBO_UNET)
        vae = AutoencoderTiny()  # TAESD's own configuration is the class default
        net = ControlNetModel.from_unet(unet) if controlnet else None
        scheduler = EulerDiscreteScheduler.from_config(SD_TURBO_SCHEDULER)
    return DiffusionModels(unet, vae, text_encoder, tokenizer, scheduler, net).prepare(device, dtype)


def tiny_tokenizer() -> CLIPTokenizer:
    """A CLIPTokenizer built without files: letters, digits and punctuation, plus BPE merges that
    build each of TINY_TOKENIZER_WORDS letter by letter (a word whose letters an earlier word's
    merges take first stays in a few pieces: fine for a random model)."""
    vocab: dict[str, int] = {}

    def add(token: str) -> None:
        vocab.setdefault(token, len(vocab))

    for special in ("<|startoftext|>", "<|endoftext|>"):
        add(special)
    for char in string.ascii_lowercase + string.digits + string.punctuation:
        add(char)
        add(char + "</w>")
    merges: list[tuple[str, str]] = []
    for word in TINY_TOKENIZER_WORDS:
        pieces = [*word[:-1], word[-1] + "</w>"]
        merged = pieces[0]
        for piece in pieces[1:]:
            if (merged, piece) not in merges:
                merges.append((merged, piece))
            merged += piece
            add(merged)
    return CLIPTokenizer(vocab=vocab, merges=merges, model_max_length=77,
                         bos_token="<|startoftext|>", eos_token="<|endoftext|>",
                         unk_token="<|endoftext|>", pad_token="<|endoftext|>")


@contextlib.contextmanager
def _seeded(seed: int) -> Iterator[None]:
    """Weights from `seed`, without touching the caller's random state."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield
