"""Returns the camera frame unchanged: the baseline every bench compares against."""
from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np

from mirror.render.stage import StageBase

if TYPE_CHECKING:
    from pose import Pose
    from world import Scene


class Passthrough(StageBase):
    name: ClassVar[str] = "passthrough"

    def render(self, image: np.ndarray, pose: "Pose | None", scene: "Scene") -> np.ndarray:
        return image
