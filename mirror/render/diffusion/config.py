"""The diffusion engine's configuration as one dataclass, read once from Settings (or the bench's flags),
and the one rule for the working size.

The working size keeps the camera's shape: a squashed person is a squashed pose and a squashed
picture. It holds about as many pixels as a 4:3 frame whose long side is `size` (512 → 512×384),
both sides multiples of 64 (the UNet halves the latent three times):

    4:3 → 512×384    16:9 → 576×320    3:4 → 384×512    9:16 → 320×576    (size 512)

The engine captures its step once per working shape of `aspects` (and per batch size) at start-up;
a camera of another shape is drawn at the nearest of them, so nothing is captured while people
are connected.

Nothing here imports torch: `available()` and the CLI read it on machines without the GPU extra.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import torch

    from mirror.server.settings import Settings

TINY = "tiny"  # diffusion_model value: random-weight tiny models built in code, for CPUs and CI
RANDOM = "random"  # the real architectures (SD-Turbo UNet, TAESD, OpenCLIP ViT-H, a ControlNet), random weights: speed only
BUILT_IN = (TINY, RANDOM)
DTYPES = {"fp16": "float16", "float16": "float16", "bf16": "bfloat16", "bfloat16": "bfloat16",
          "fp32": "float32", "float32": "float32"}
MULTIPLE = 64  # working sides are multiples of this: TAESD divides by 8, the SD UNet by 8 again
ASPECTS = ("4:3", "16:9", "3:4", "9:16")  # landscape webcams and phones held upright


@dataclass(frozen=True)
class DiffusionConfig:
    model: str = ""  # a local diffusers-layout directory (layout.LAYOUT), "tiny" or "random"
    device: str = "auto"  # "auto": cuda when there is one, else cpu
    # The working picture holds about size × size·3/4 pixels, in the camera's shape (module docstring).
    size: int = 512
    aspects: tuple[str, ...] = ASPECTS  # "W:H": the working shapes captured at start-up
    max_batch: int = 4  # people stepped at once: the session cap (graphs for 1, 2, 4, … up to it)
    controlnet: bool = True  # condition on the pose through the OpenPose ControlNet
    controlnet_scale: float = 0.8
    # One step at a fixed timestep: t = round(1000 · strength) − 1 (trailing spacing; 0.5 → t = 499).
    strength: float = 0.5
    # Share of the previous output latent blended into this frame's latent before noising: steadier
    # pictures on a still person, a little trail when they move.
    feedback: float = 0.3
    blend_frames: int = 8  # a new prompt's embedding is reached over this many frames (slerp)
    dtype: str = "auto"  # "auto": fp16 on cuda, fp32 on cpu; or fp16 / bf16 / fp32
    compile: bool = True  # CUDA only: capture the step as CUDA graphs at start-up
    seed: int = 0  # the first person's fixed noise (the next get seed + 1, …) and the tiny model's weights
    frame_width: int = 640  # the camera frame the per-person kernels are warmed up with at start-up
    frame_height: int = 480

    @classmethod
    def from_settings(cls, settings: "Settings | Any") -> "DiffusionConfig":
        defaults = cls()

        def read(name: str, field: str) -> Any:
            return getattr(settings, name, getattr(defaults, field))

        aspects = read("diffusion_aspects", "aspects")
        return cls(
            model=str(read("diffusion_model", "model")),
            device=str(read("diffusion_device", "device")),
            size=int(read("diffusion_size", "size")),
            aspects=tuple(aspects.split(",")) if isinstance(aspects, str) else tuple(aspects),
            max_batch=int(read("max_sessions", "max_batch")),
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
        if self.size < MULTIPLE or self.size % MULTIPLE:
            found.append(f"diffusion_size must be a multiple of {MULTIPLE} (at least {MULTIPLE}), not {self.size}")
        bad = [a for a in self.aspects if _ratio(a) is None]
        if bad or not self.aspects:
            found.append(f"diffusion_aspects must be W:H pairs such as 4:3,16:9, not {','.join(self.aspects)!r}")
        if self.max_batch < 1:
            found.append(f"max_sessions must be at least 1, not {self.max_batch}")
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

    # ---- the working size --------------------------------------------------------------------------

    def working_size(self, width: int, height: int) -> tuple[int, int]:
        """(w, h) for a frame of this shape: `size`·`size`·3/4 pixels, multiples of 64, nearest ratio."""
        pixels = self.size * self.size * 3 / 4
        aspect = width / height
        w = max(MULTIPLE, round(math.sqrt(pixels * aspect) / MULTIPLE) * MULTIPLE)
        h = max(MULTIPLE, round(math.sqrt(pixels / aspect) / MULTIPLE) * MULTIPLE)
        return w, h

    def working_shapes(self) -> tuple[tuple[int, int], ...]:
        """The (w, h) captured at start-up, one per aspect (without repeats), in `aspects` order."""
        shapes: list[tuple[int, int]] = []
        for aspect in self.aspects:
            w, h = _ratio(aspect)
            shape = self.working_size(w, h)
            if shape not in shapes:
                shapes.append(shape)
        return tuple(shapes)

    def shape_for(self, width: int, height: int) -> tuple[int, int]:
        """The captured working shape a frame of width × height is drawn at: the nearest in ratio."""
        ratio = math.log(width / height)
        return min(self.working_shapes(), key=lambda shape: abs(math.log(shape[0] / shape[1]) - ratio))

    def batch_sizes(self, graphs: bool) -> tuple[int, ...]:
        """Batch sizes the engine prepares: with graphs 1, 2, 4, … and the cap (a batch of 3 runs
        the graph of 4; the spare row costs less than a graph per size); eagerly every size."""
        if not graphs:
            return tuple(range(1, self.max_batch + 1))
        sizes = [1 << i for i in range(self.max_batch.bit_length()) if 1 << i < self.max_batch]
        return (*sizes, self.max_batch)

    # ---- resolved against the machine (these import torch) ---
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


def _ratio(aspect: str) -> tuple[int, int] | None:
    w, _, h = aspect.strip().partition(":")
    try:
        ratio = int(w), int(h)
    except ValueError:
        return None
    return ratio if ratio[0] > 0 and ratio[1] > 0 else None
