"""`DiffusionStage`: the render stage that generates each frame from the camera, the pose and the
scene prompt (one-step img2img with SD-Turbo-class models; see step.py for the step itself).

    Availability:  DiffusionStage.available(settings)    cheap: packages, weights layout, CUDA
    stage = DiffusionStage.open(StageContext(settings, catalog))    builds/loads, warms up (captures on CUDA)
    out = stage.render(image, pose, scene)    (H, W, 3) uint8 → (H, W, 3) uint8, same size
    stage.prompt, stage.prompt_version        the prompt text in use and the scene version it came from

torch, diffusers and transformers are imported when the stage opens, not with this module, so
the server can ask `available()` on a machine without the GPU extra.
"""
from __future__ import annotations

import importlib.util
import logging
import time
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from mirror.render.diffusion.config import TINY, DiffusionConfig
from mirror.render.diffusion.layout import layout_problem
from mirror.render.stage import Availability, Needs, StageContext
from pose.openpose import NUM_OPENPOSE_POINTS, openpose_keypoints

if TYPE_CHECKING:
    from mirror.render.diffusion.models import DiffusionModels
    from mirror.settings import Settings
    from pose import Pose
    from world import Catalog, Scene

log = logging.getLogger(__name__)

GPU_PACKAGES = ("torch", "diffusers", "transformers")
NO_MODEL = "no diffusion weights: set --diffusion-model DIR (fetch with `mirror weights fetch`) or `tiny`"


class DiffusionStage:
    name: ClassVar[str] = "diffusion"
    needs: ClassVar[Needs] = Needs(pose=True, gpu=True, weights=True)
    own_thread: ClassVar[bool] = True
    # It paints the scene's style itself, from the prompt: the composite leaves its filter off.
    provides: ClassVar[frozenset[str]] = frozenset({"prompt_style"})

    @classmethod
    def available(cls, settings: "Settings") -> Availability:
        config = DiffusionConfig.from_settings(settings)
        problems = config.problems()
        if problems:
            return Availability(False, problems[0])
        missing = [name for name in GPU_PACKAGES if importlib.util.find_spec(name) is None]
        if missing:
            return Availability(False, f"{', '.join(missing)} not installed: install the GPU extra "
                                       "(pip install -e '.[gpu]')")
        if not config.model:
            return Availability(False, NO_MODEL)
        wants_cuda = config.device.startswith("cuda") or (config.device == "auto" and config.model != TINY)
        if wants_cuda:
            import torch

            if not torch.cuda.is_available():
                return Availability(False, "no CUDA device (the diffusion model needs a GPU; "
                                           "--diffusion-device cpu runs it slowly, --diffusion-model tiny runs a toy)")
        if config.model != TINY:
            problem = layout_problem(config.model, controlnet=config.controlnet)
            if problem:
                return Availability(False, problem)
        return Availability(True)

    @classmethod
    def open(cls, context: StageContext) -> "DiffusionStage":
        return cls(DiffusionConfig.from_settings(context.settings), context.catalog)

    def __init__(self, config: DiffusionConfig, catalog: "Catalog", models: "DiffusionModels | None" = None) -> None:
        from mirror.render.diffusion import models as model_zoo
        from mirror.render.diffusion.prompt import PromptBlend, PromptEncoder

        problems = config.problems()
        if problems:
            raise ValueError(problems[0])
        self.config = config
        self._catalog = catalog
        if models is None:
            device = config.torch_device()
            dtype = config.torch_dtype(device)
            if config.model == TINY:
                models = model_zoo.tiny(device, dtype, seed=config.seed, controlnet=config.controlnet)
            elif not config.model:
                raise model_zoo.DiffusionWeightsError(NO_MODEL)
            else:
                models = model_zoo.load(config.model, device, dtype, controlnet=config.controlnet)
        self.models = models
        self._encoder = PromptEncoder(models.tokenizer, models.text_encoder)
        self._blend = PromptBlend(config.blend_frames)
        self.prompt: str | None = None  # the scene prompt the stage draws (the target while blending)
        self.prompt_version: int | None = None  # the scene version that prompt was read from
        self._sent = None  # the embedding the runner holds now
        self._keypoints = np.zeros((NUM_OPENPOSE_POINTS, 3), np.float32)
        self._timings: dict[str, float] = {}
        self._runner = None
        self._warm_up((config.frame_height, config.frame_width))
        log.info("diffusion stage open: %s on %s (%s), %d² working size, timestep %d, ControlNet %s",
                 config.model, models.device, str(models.dtype).removeprefix("torch."), config.size,
                 self._runner.params.timestep, "on" if models.controlnet is not None else "off")

    # ---- RenderStage -----------------------------------------------------------------------------

    def render(self, image: np.ndarray, pose: "Pose | None", scene: "Scene") -> np.ndarray:
        started = time.perf_counter()
        if scene.version != self.prompt_version:
            self._read_prompt(scene)
        embedding = self._blend.next()
        changed = embedding if embedding is not self._sent else None
        self._sent = embedding
        if self._runner is None or self._runner.frame_hw != image.shape[:2]:
            self._runner = self._new_runner(image.shape[:2])
            changed = embedding
        keypoints = self._keypoints_of(pose, image.shape) if self.models.controlnet is not None else None
        prompt_s = time.perf_counter() - started
        out = self._runner(image, keypoints, changed)
        self._timings = {"prompt": prompt_s, **self._runner.timings()}
        return out

    def timings(self) -> dict[str, float]:
        return dict(self._timings)

    def status(self) -> dict:
        """The prompt being drawn and the scene version it came from (the page's stats show it)."""
        return {"prompt": self.prompt, "prompt_version": self.prompt_version}

    def close(self) -> None:
        self._runner = None
        self.models = None

    # ---- parts -------------------------------------------------------------------------------------

    def _read_prompt(self, scene: "Scene") -> None:
        """A new scene version: encode its prompt (once per text, cached) and glide towards it."""
        self.prompt_version = scene.version
        text = scene.prompt(self._catalog)
        if text != self.prompt:
            self.prompt = text
            self._blend.retarget(self._encoder(text))
            log.info("diffusion prompt (scene v%d): %s", scene.version, text)

    def _keypoints_of(self, pose: "Pose | None", shape: tuple[int, ...]) -> np.ndarray:
        keypoints = openpose_keypoints(pose, out=self._keypoints)
        if pose is not None and (pose.width, pose.height) != (shape[1], shape[0]):
            keypoints[:, 0] *= shape[1] / pose.width  # a pose found on a frame of another size
            keypoints[:, 1] *= shape[0] / pose.height
        return keypoints

    def _new_runner(self, frame_hw: tuple[int, int]):
        from mirror.render.diffusion.runner import StepRunner

        if self._runner is not None:
            log.info("diffusion: camera frame is now %dx%d; preparing the step for it", frame_hw[1], frame_hw[0])
        self._sent = None
        return StepRunner(self.models, self.config, frame_hw)

    def _warm_up(self, frame_hw: tuple[int, int]) -> None:
        """Before the first visitor: buffers, cuDNN/Triton warm-up and graph capture (CUDA), one frame."""
        self._runner = self._new_runner(frame_hw)
        empty = self._encoder("")
        self._runner(np.zeros((*frame_hw, 3), np.uint8), None, empty)
        self._runner.reset()
        self._sent = None
