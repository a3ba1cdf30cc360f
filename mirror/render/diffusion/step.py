"""One batched step of the generative mirror, as one function over preallocated buffers.

Each row of the batch is one person; every row is computed on its own (convolutions, group norms
and attention never mix samples), so a person's row is what an unbatched step would give them.

    image (B, 3, h, w) in [-1, 1]       each person's frame at the working size (the engine ingests them)
      → TAESD encode      (B, 4, h/8, w/8) latent
      → add_noise         x_t = √ᾱ·((1−f)·latent + f·prev) + √(1−ᾱ)·ε    each row its own ε and prev
      → pose map          (B, 3, h, w) from each row's 18 keypoints        (with the ControlNet)
      → ControlNet(x_t, pose map, prompt)   residuals for the UNet's skip connections
      → UNet(x_t, t, prompt)                ε̂ (or v̂); each row its own (77, D) prompt embedding
      → predict_x0        x̂₀ (B, 4, h/8, w/8): each person's next feedback latent
      → TAESD decode      decoded (B, 3, h, w) ≈ [-1, 1]   (the engine emits each row at its person's size)

Everything the step touches lives in `StepBuffers`, allocated once per (working shape, batch
size): the step allocates nothing the caller sees, never reads a tensor's value on the host and
never reads the clock (unless given a `mark` to profile with), so on CUDA the whole of it is
captured once as a CUDA graph and replayed.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch
from torch import Tensor

from gpu_kernels.latent_step import add_noise, predict_x0
from gpu_kernels.pose_map import draw_pose_map
from mirror.render.diffusion.config import DiffusionConfig
from mirror.render.diffusion.models import DiffusionModels

NUM_KEYPOINTS = 18  # OpenPose COCO-18 (pose/openpose.py)
# controlnet_aux draws the pose on a canvas whose short side is 512 (its detect resolution): limb
# ellipses with a semi-minor axis of 4 px (8 px wide at their middle) and joints of radius 4 px.
# On our canvas both scale with its short side.
STICK_WIDTH_512 = 4.0
JOINT_RADIUS_512 = 4.0
MIN_CONFIDENCE = 0.3  # keypoints less sure than this are not drawn (nor their limbs)


@dataclass(frozen=True)
class StepParams:
    """The numbers of every step, fixed at start-up (a CUDA graph bakes them in)."""

    timestep: int
    alpha_bar: float  # ᾱ at `timestep`
    prediction_type: str  # "epsilon" | "v_prediction"
    feedback: float
    controlnet_scale: float

    @classmethod
    def of(cls, models: DiffusionModels, config: DiffusionConfig) -> "StepParams":
        t = config.timestep(models.num_train_timesteps)
        return cls(timestep=t, alpha_bar=float(models.alphas_cumprod[t]), prediction_type=models.prediction_type,
                   feedback=config.feedback, controlnet_scale=config.controlnet_scale)


def pose_sizes(shape: tuple[int, int]) -> tuple[float, float]:
    """(stick width, joint radius) in pixels of a (w, h) working picture."""
    scale = min(shape) / 512
    return STICK_WIDTH_512 * scale, JOINT_RADIUS_512 * scale


@dataclass
class StepBuffers:
    """Every tensor the step reads or writes for one (working shape, batch size), at fixed addresses."""

    shape: tuple[int, int]  # (w, h) working size
    image: Tensor  # (B, 3, h, w) in [-1, 1]: each person's frame, ingested
    keypoints: Tensor  # (B, 18, 3) float32, [x, y, confidence] in working pixels
    prompt: Tensor  # (B, 77, D): each person's text embedding this step
    timestep: Tensor  # (B,) float32, all the same t
    noise: Tensor  # (B, 4, h/8, w/8): each person's fixed ε
    prev: Tensor  # (B, 4, h/8, w/8): each person's previous x̂₀ (their feedback)
    pose_map: Tensor  # (B, 3, h, w) in [0, 1]
    x_t: Tensor  # (B, 4, h/8, w/8)
    x0: Tensor  # (B, 4, h/8, w/8): x̂₀ of this step
    decoded: Tensor  # (B, 3, h, w) ≈ [-1, 1]

    @property
    def batch(self) -> int:
        return self.image.shape[0]

    @classmethod
    @torch.inference_mode()
    def allocate(cls, models: DiffusionModels, shape: tuple[int, int], batch: int, timestep: int) -> "StepBuffers":
        device, dtype = models.device, models.dtype
        w, h = shape
        latent = (batch, models.unet.config.in_channels, h // 8, w // 8)
        embed_dim = models.text_encoder.config.hidden_size
        # TAESD's inputs channels-last: its convolutions then run in that layout from the first
        # layer on (oneDNN on this CPU: encode and decode ~1.6× less CPU time at 4×128²; on CUDA
        # the models are channels-last already and the conversion kernel is saved).
        def channels_last(shape: tuple[int, ...]) -> Tensor:
            return torch.zeros(shape, dtype=dtype, device=device).contiguous(memory_format=torch.channels_last)

        return cls(
            shape=shape,
            image=channels_last((batch, 3, h, w)),
            keypoints=torch.zeros((batch, NUM_KEYPOINTS, 3), dtype=torch.float32, device=device),
            prompt=torch.zeros((batch, models.tokenizer.model_max_length, embed_dim), dtype=dtype, device=device),
            timestep=torch.full((batch,), float(timestep), dtype=torch.float32, device=device),
            noise=torch.zeros(latent, dtype=dtype, device=device),
            prev=torch.zeros(latent, dtype=dtype, device=device),
            pose_map=torch.zeros((batch, 3, h, w), dtype=dtype, device=device),
            x_t=torch.zeros(latent, dtype=dtype, device=device),
            x0=channels_last(latent),
            decoded=torch.zeros((batch, 3, h, w), dtype=dtype, device=device),
        )


def step(models: DiffusionModels, b: StepBuffers, p: StepParams, mark: Callable[[str], None] | None = None) -> None:
    """b.image → b.decoded and b.x0, one denoising step per row, conditioned on each row's prompt
    (and keypoints, with a ControlNet). `mark(name)`, when given, is called after each part (profiling)."""
    latent = models.vae.encode(b.image).latents  # (B, 4, h/8, w/8); TAESD's scaling factor is 1
    _mark(mark, "encode")
    x_t = add_noise(latent, b.noise, p.alpha_bar, prev=b.prev, feedback=p.feedback, out=b.x_t)
    _mark(mark, "add_noise")
    residuals = {}
    if models.controlnet is not None:
        w, h = b.shape
        stick, radius = pose_sizes(b.shape)
        for i in range(b.batch):  # one launch per person: (18, 3) keypoints → (1, 3, h, w)
            draw_pose_map(b.keypoints[i], (h, w), stick, radius, min_confidence=MIN_CONFIDENCE,
                          dtype=b.pose_map.dtype, out=b.pose_map[i:i + 1])
        _mark(mark, "pose_map")
        down, mid = models.controlnet(x_t, b.timestep, encoder_hidden_states=b.prompt, controlnet_cond=b.pose_map,
                                      conditioning_scale=p.controlnet_scale, return_dict=False)
        residuals = dict(down_block_additional_residuals=down, mid_block_additional_residual=mid)
        _mark(mark, "controlnet")
    model_out = models.unet(x_t, b.timestep, encoder_hidden_states=b.prompt, return_dict=False,
                            **residuals)[0]  # (B, 4, h/8, w/8): ε̂ or v̂
    _mark(mark, "unet")
    x0 = predict_x0(x_t, model_out, p.alpha_bar, p.prediction_type, out=b.x0)  # (B, 4, h/8, w/8)
    _mark(mark, "predict_x0")
    b.decoded.copy_(models.vae.decode(x0).sample)  # (B, 3, h, w): at a fixed address for the emit after the graph
    _mark(mark, "decode")


def _mark(mark: Callable[[str], None] | None, name: str) -> None:
    if mark is not None:
        mark(name)
