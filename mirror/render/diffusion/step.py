"""One frame of the generative mirror, as one function over preallocated buffers.

    frame (H, W, 3) uint8
      → ingest_rgb         (1, 3, S, S) in [-1, 1]         bilinear to the square working size S
      → TAESD encode       (1, 4, S/8, S/8) latent
      → add_noise          x_t = √ᾱ·((1−f)·latent + f·previous x̂₀) + √(1−ᾱ)·ε   fixed ε, fixed t
      → ControlNet(x_t, pose map)   residuals for the UNet's skip connections       (when on)
      → UNet(x_t, t, prompt)        ε̂ (or v̂)
      → predict_x0         x̂₀ (1, 4, S/8, S/8), also the next frame's feedback latent
      → TAESD decode       (1, 3, S, S) ≈ [-1, 1]
      → emit_rgb           (H, W, 3) uint8

Everything the step touches lives in `StepBuffers`, allocated once: the step allocates nothing the
caller sees, never reads a tensor's value on the host and never reads the clock (unless given a
`mark` to profile with), so on CUDA the whole of it is captured once as a CUDA graph and replayed.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch
from torch import Tensor

from gpu_kernels.frame_io import emit_rgb, ingest_rgb
from gpu_kernels.latent_step import add_noise, predict_x0
from gpu_kernels.pose_map import draw_pose_map
from mirror.render.diffusion.config import DiffusionConfig
from mirror.render.diffusion.models import DiffusionModels

NUM_KEYPOINTS = 18  # OpenPose COCO-18 (pose/openpose.py)
# OpenPose draws limbs 4 px wide and joints of radius 4 at 512², the size its ControlNets were
# trained on; both scale with the working size.
LIMB_WIDTH_512 = 4.0
JOINT_RADIUS_512 = 4.0
MIN_CONFIDENCE = 0.3  # keypoints less sure than this are not drawn (nor their limbs)


@dataclass(frozen=True)
class StepParams:
    """The numbers of a session's step, fixed at open (a CUDA graph bakes them in)."""

    size: int  # S, the square working size
    timestep: int
    alpha_bar: float  # ᾱ at `timestep`
    prediction_type: str  # "epsilon" | "v_prediction"
    feedback: float
    controlnet_scale: float
    limb_width: float
    joint_radius: float

    @classmethod
    def of(cls, models: DiffusionModels, config: DiffusionConfig) -> "StepParams":
        t = config.timestep(models.num_train_timesteps)
        return cls(size=config.size, timestep=t, alpha_bar=float(models.alphas_cumprod[t]),
                   prediction_type=models.prediction_type, feedback=config.feedback,
                   controlnet_scale=config.controlnet_scale,
                   limb_width=LIMB_WIDTH_512 * config.size / 512, joint_radius=JOINT_RADIUS_512 * config.size / 512)


@dataclass
class StepBuffers:
    """Every tensor the step reads or writes, at fixed addresses (what a CUDA graph replays on)."""

    frame: Tensor  # (H, W, 3) uint8, the camera frame
    keypoints: Tensor  # (18, 3) float32, [x, y, confidence] in working-size pixels
    prompt: Tensor  # (1, 77, D), the text embedding of this frame
    timestep: Tensor  # (1,) float32
    noise: Tensor  # (1, 4, S/8, S/8), the session's fixed ε
    image: Tensor  # (1, 3, S, S) in [-1, 1]
    pose_map: Tensor  # (1, 3, S, S) in [0, 1]
    x_t: Tensor  # (1, 4, S/8, S/8)
    latent_out: Tensor  # (1, 4, S/8, S/8): x̂₀ of the last frame, blended into the next one
    out: Tensor  # (H, W, 3) uint8

    @classmethod
    @torch.inference_mode()
    def allocate(cls, models: DiffusionModels, params: StepParams, frame_hw: tuple[int, int],
                 seed: int) -> "StepBuffers":
        device, dtype, s = models.device, models.dtype, params.size
        h, w = frame_hw
        latent_shape = (1, models.unet.config.in_channels, s // 8, s // 8)
        # ε from a CPU generator: the same seed gives the same noise on every device.
        noise = torch.randn(latent_shape, generator=torch.Generator().manual_seed(seed)).to(device, dtype)
        embed_dim = models.text_encoder.config.hidden_size
        return cls(
            frame=torch.zeros((h, w, 3), dtype=torch.uint8, device=device),
            keypoints=torch.zeros((NUM_KEYPOINTS, 3), dtype=torch.float32, device=device),
            prompt=torch.zeros((1, models.tokenizer.model_max_length, embed_dim), dtype=dtype, device=device),
            timestep=torch.full((1,), float(params.timestep), dtype=torch.float32, device=device),
            noise=noise,
            image=torch.zeros((1, 3, s, s), dtype=dtype, device=device),
            pose_map=torch.zeros((1, 3, s, s), dtype=dtype, device=device),
            x_t=torch.zeros(latent_shape, dtype=dtype, device=device),
            latent_out=torch.zeros(latent_shape, dtype=dtype, device=device),
            out=torch.zeros((h, w, 3), dtype=torch.uint8, device=device),
        )


def step(models: DiffusionModels, b: StepBuffers, p: StepParams, mark: Callable[[str], None] | None = None) -> None:
    """b.frame → b.out, one denoising step conditioned on b.prompt (and b.keypoints with a ControlNet).

    `mark(name)`, when given, is called after each part (profiling); the live path passes None."""
    s = p.size
    image = ingest_rgb(b.frame, (s, s), dtype=b.image.dtype, out=b.image)  # (1, 3, S, S) in [-1, 1]
    _mark(mark, "ingest")
    latent = models.vae.encode(image).latents  # (1, 4, S/8, S/8); TAESD's scaling factor is 1
    _mark(mark, "encode")
    x_t = add_noise(latent, b.noise, p.alpha_bar, prev=b.latent_out, feedback=p.feedback, out=b.x_t)
    _mark(mark, "add_noise")
    residuals = {}
    if models.controlnet is not None:
        pose_map = draw_pose_map(b.keypoints, (s, s), p.limb_width, p.joint_radius, min_confidence=MIN_CONFIDENCE,
                                 dtype=b.pose_map.dtype, out=b.pose_map)  # (1, 3, S, S) in [0, 1]
        _mark(mark, "pose_map")
        down, mid = models.controlnet(x_t, b.timestep, encoder_hidden_states=b.prompt, controlnet_cond=pose_map,
                                      conditioning_scale=p.controlnet_scale, return_dict=False)
        residuals = dict(down_block_additional_residuals=down, mid_block_additional_residual=mid)
        _mark(mark, "controlnet")
    model_out = models.unet(x_t, b.timestep, encoder_hidden_states=b.prompt, return_dict=False,
                            **residuals)[0]  # (1, 4, S/8, S/8): ε̂ or v̂
    _mark(mark, "unet")
    x0 = predict_x0(x_t, model_out, p.alpha_bar, p.prediction_type, out=b.latent_out)  # (1, 4, S/8, S/8)
    _mark(mark, "predict_x0")
    decoded = models.vae.decode(x0).sample  # (1, 3, S, S), ≈ [-1, 1]
    _mark(mark, "decode")
    emit_rgb(decoded, tuple(b.out.shape[:2]), out=b.out)  # (H, W, 3) uint8
    _mark(mark, "emit")


def prime(models: DiffusionModels, b: StepBuffers, p: StepParams) -> None:
    """Start the feedback from this frame's own latent (there is no previous output yet)."""
    s = p.size
    image = ingest_rgb(b.frame, (s, s), dtype=b.image.dtype, out=b.image)
    b.latent_out.copy_(models.vae.encode(image).latents)


def _mark(mark: Callable[[str], None] | None, name: str) -> None:
    if mark is not None:
        mark(name)
