"""The render stages a session runs, chosen from settings and from what this machine has."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from mirror.render.stage import RenderStage

if TYPE_CHECKING:
    from mirror.settings import Settings
    from pose import Pose
    from world import Catalog, Scene

log = logging.getLogger(__name__)


class Passthrough:
    """Returns the camera frame unchanged: the baseline every bench compares against."""

    name: ClassVar[str] = "passthrough"
    needs_pose: ClassVar[bool] = False
    needs_matte: ClassVar[bool] = False
    needs_gpu: ClassVar[bool] = False
    own_thread: ClassVar[bool] = False

    def render(self, image: np.ndarray, pose: "Pose | None", scene: "Scene") -> np.ndarray:
        return image

    def close(self) -> None:
        pass


@dataclass
class StageSet:
    stages: list[RenderStage]
    # Sentences for the page when a requested stage could not run (e.g. a missing model).
    notices: list[str] = field(default_factory=list)


def neural_off_notice(error: str) -> str:
    """The page's sentence when the neural repaint cannot run."""
    return f"Neural repaint is off: {error} Showing the composite renderer only."


def build_stages(settings: "Settings", catalog: "Catalog") -> StageSet:
    stages: list[RenderStage] = []
    notices: list[str] = []
    neural = None
    if "neural" in settings.stages:
        from mirror.render.neural import NeuralRepaint

        neural, error = NeuralRepaint.try_create(settings, catalog)
        if neural is None:
            notices.append(neural_off_notice(error))
            log.warning("neural repaint unavailable: %s", error)
    for name in settings.stages:
        if name == "passthrough":
            stages.append(Passthrough())
        elif name == "skeleton":
            from mirror.render.skeleton import SkeletonRenderer

            stages.append(SkeletonRenderer())
        elif name == "composite":
            from mirror.render.composite import CompositeRenderer

            stages.append(CompositeRenderer(catalog, neural_available=neural is not None))
        elif name == "neural" and neural is not None:
            stages.append(neural)
    return StageSet(stages, notices)
