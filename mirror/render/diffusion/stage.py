"""`DiffusionStage`: the render stage that generates each frame from the camera, the pose and the
scene prompt (one-step img2img with SD-Turbo-class models), one person's seat at the process's
diffusion engine (engine.py; step.py for the step itself).

    DiffusionStage.available(settings)                     cheap: packages, weights layout, CUDA
    engine = DiffusionStage.open_shared(settings)          once per process, at start-up: load, warm up, capture
    stage = DiffusionStage.open(StageContext(..., shared))  per person: a seat at that engine (µs)
    out = stage.render(image, pose, scene)                 (H, W, 3) uint8 → (H, W, 3) uint8, same size
    stage.prompt, stage.prompt_version                     the prompt text in use and the scene version it came from

torch, diffusers and transformers are imported when the engine is opened, not with this module, so
the server can ask `available()` on a machine without the GPU extra.
"""
from __future__ import annotations

import importlib.util
import logging
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from mirror.render.diffusion.config import BUILT_IN, TINY, DiffusionConfig
from mirror.render.diffusion.layout import layout_problem
from mirror.render.stage import PROMPT_STYLE, Availability, Needs, StageContext
from pose.openpose import NUM_OPENPOSE_POINTS, openpose_keypoints

if TYPE_CHECKING:
    from mirror.render.diffusion.engine import DiffusionEngine
    from mirror.server.settings import Settings
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
    provides: ClassVar[frozenset[str]] = frozenset({PROMPT_STYLE})

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
        if config.model not in BUILT_IN:
            problem = layout_problem(config.model, controlnet=config.controlnet)
            if problem:
                return Availability(False, problem)
        return Availability(True)

    @classmethod
    def open_shared(cls, settings: "Settings") -> "DiffusionEngine":
        """The process's engine: models loaded, every working shape warmed up and captured. Once, at
        start-up, off the event loop (seconds with real weights)."""
        from mirror.render.diffusion.engine import DiffusionEngine

        return DiffusionEngine.load(DiffusionConfig.from_settings(settings))

    @classmethod
    def open(cls, context: StageContext) -> "DiffusionStage":
        """A seat for one person at the process's engine (`context.shared`): no tensors, no I/O."""
        engine = context.shared.get(cls.name) if context.shared is not None else None
        if engine is not None:
            return cls(engine, context.catalog)
        # Opened outside a server that opened the engine at start-up: this person loads their own.
        log.warning("diffusion: no process-wide engine was opened (StagePlan.open_shared at start-up); "
                    "this person loads the models for themselves")
        return cls(cls.open_shared(context.settings), context.catalog, owns_engine=True)

    def __init__(self, engine: "DiffusionEngine", catalog: "Catalog", *, seed: int | None = None,
                 owns_engine: bool = False) -> None:
        self.engine = engine
        self.seat = engine.seat(seed)  # this person's place at the engine: noise, feedback, prompt, buffers
        self._owns_engine = owns_engine
        self._catalog = catalog
        self.prompt: str | None = None  # the scene prompt the stage draws (the target while gliding)
        self.prompt_version: int | None = None  # the scene version that prompt was read from
        self._keypoints = np.zeros((NUM_OPENPOSE_POINTS, 3), np.float32)

    # ---- RenderStage -----------------------------------------------------------------------------

    def render(self, image: np.ndarray, pose: "Pose | None", scene: "Scene") -> np.ndarray:
        if scene.version != self.prompt_version:
            self._read_prompt(scene)
        keypoints = self._keypoints_of(pose, image.shape) if self.engine.models.controlnet is not None else None
        return self.seat(image, keypoints, self.prompt)

    def timings(self) -> dict[str, float]:
        """The last frame: waiting for the engine's step to start, then that step's parts."""
        return self.seat.timings()

    def status(self) -> dict:
        """The prompt being drawn and the scene version it came from (the page's stats show it)."""
        return {"prompt": self.prompt, "prompt_version": self.prompt_version}

    def close(self) -> None:
        self.seat.close()
        if self._owns_engine:
            self.engine.close()

    # ---- parts -------------------------------------------------------------------------------------

    def _read_prompt(self, scene: "Scene") -> None:
        """A new scene version: its prompt text (the engine encodes a new text once, then glides to it)."""
        self.prompt_version = scene.version
        text = scene.prompt(self._catalog)
        if text != self.prompt:
            self.prompt = text
            log.info("diffusion prompt (scene v%d): %s", scene.version, text)

    def _keypoints_of(self, pose: "Pose | None", shape: tuple[int, ...]) -> np.ndarray:
        keypoints = openpose_keypoints(pose, out=self._keypoints)
        if pose is not None and (pose.width, pose.height) != (shape[1], shape[0]):
            keypoints[:, 0] *= shape[1] / pose.width  # a pose found on a frame of another size
            keypoints[:, 1] *= shape[0] / pose.height
        return keypoints
