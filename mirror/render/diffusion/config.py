"""The diffusion stage's configuration as one dataclass, read once from Settings (or the bench's flags).

Nothing here imports torch: `available()` and the CLI read it on machines without the GPU extra.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import torch

    from mirror.settings import Settings

TINY = "tiny"  # diffusion_model value: random-weight tiny models built in code, for CPUs and CI
DTYPES = {"fp16": "float16", "float16": "float16", "bf16": "bfloat16", "bfloat16": "bfloat16",
          "fp32": "float32", "float32": "float32"}


@dataclass(frozen=True)
class DiffusionConfig:
    model: str = ""  # a local diffusers-layout directory (models.LAYOUT), or "tiny"
    device: str = "auto"  # "auto": cuda when there is one, else cpu
    size: int = 512  # square working size in pixels, a multiple of 64 (latents are size / 8)
    controlnet: bool = True  # condition on the pose through the OpenPose ControlNet
    controlnet_scale: float = 0.8
    # One step at a fixed timestep: t = round(1000 · strength) − 1 (trailing spacing; 0.5 → t = 499).
    strength: float = 0.5
    # Share of the previous output latent blended into this frame's latent before noising: steadier
    # pictures on a still person, a little trail when they move.
    feedback: float = 0.3
    blend_frames: int = 8  # a new prompt's embedding is reached over this many frames (slerp)
    dtype: str = "auto"  # "auto": fp16 on cuda, fp32 on cpu; or fp16 / bf16 / fp32
    compile: bool = True  # CUDA only: capture the whole step as a CUDA graph at open
    seed: int = 0  # the session's fixed noise (and the tiny model's weights)
    frame_width: int = 640  # the camera frame the stage is warmed up with at open
    frame_height: int = 480

    @classmethod
    def from_settings(cls, settings: "Settings | Any") -> "DiffusionConfig":
        defaults = cls()

        def read(name: str, field: str) -> Any:
            return getattr(settings, name, getattr(defaults, field))

        return cls(
            model=str(read("diffusion_model", "model")),
            device=str(read("diffusion_device", "device")),
            size=int(read("diffusion_size", "size")),
            controlnet=bool(read("diffusion_controlnet", "controlnet")),
            controlnet_scale=float(read("controlnet_scale", "controlnet_scale")),
            strength=float(read("diffusion_strength", "strength")),
            feedback=float(read("diffusion_feedback", "feedback")),
            blend_frames=int(read("prompt_blend_frames", "blend_frames")),
            dtype=str(read("diffusion_dtype", "dtype")),
            compile=bool(read("diffusion_compile", "compile")),
            seed=int(read("diffusion_seed", "seed")),
            frame_width=int(read("width", "frame_width")),
            frame_height=int(read("height", "frame_height")),
        )

    def problems(self) -> list[str]:
        """What is wrong with the numbers, one sentence each (empty when fine)."""
        found = []
        if self.size < 64 or self.size % 64:
            found.append(f"diffusion_size must be a multiple of 64 (at least 64), not {self.size}")
        if not 0.0 < self.strength <= 1.0:
            found.append(f"diffusion_strength must lie in (0, 1], not {self.strength}")
        if not 0.0 <= self.feedback < 1.0:
            found.append(f"diffusion_feedback must lie in [0, 1), not {self.feedback}")
        if self.blend_frames < 1:
            found.append(f"prompt_blend_frames must be at least 1, not {self.blend_frames}")
        if self.dtype != "auto" and self.dtype not in DTYPES:
            found.append(f"diffusion_dtype must be auto, fp16, bf16 or fp32, not {self.dtype!r}")
        if self.device not in ("auto", "cpu") and not self.device.startswith("cuda"):
            found.append(f"diffusion_device must be auto, cpu or cuda[:N], not {self.device!r}")
        return found

    # --- resolved against the machine (these import torch) ---
    def torch_device(self) -> "torch.device":
        import torch

        if self.device == "auto":
            return torch.device("cuda" if torch.cuda.is_available() else "cpu")
        return torch.device(self.device)

    def torch_dtype(self, device: "torch.device") -> "torch.dtype":
        import torch

        if self.dtype == "auto":
            return torch.float16 if device.type == "cuda" else torch.float32
        return getattr(torch, DTYPES[self.dtype])

    def timestep(self, num_train_timesteps: int = 1000) -> int:
        """The one fixed timestep, as diffusers' trailing spacing places a single img2img step."""
        return min(num_train_timesteps - 1, max(0, round(num_train_timesteps * self.strength) - 1))
