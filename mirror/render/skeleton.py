"""The simplest pose-aware stage: the camera frame with the pose skeleton drawn over it.

Used by the walking skeleton and the latency bench: it needs pose (so the pose path is exercised)
but costs almost nothing to render, so it measures the frame path, not the art.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import cv2
import numpy as np

from mirror.render.stage import Needs, StageBase
from pose.landmarks import BONES

if TYPE_CHECKING:
    from pose import Pose
    from world import Scene

VISIBLE = 0.5
BONE_RGB = (60, 230, 120)
JOINT_RGB = (255, 255, 255)


class SkeletonRenderer(StageBase):
    name: ClassVar[str] = "skeleton"
    needs: ClassVar[Needs] = Needs(pose=True)

    def render(self, image: np.ndarray, pose: "Pose | None", scene: "Scene") -> np.ndarray:
        out = image.copy()
        if pose is None or not pose.found:
            return out
        thickness = max(2, out.shape[0] // 160)
        lm = pose.landmarks
        for a, b in BONES:
            if lm[a, 2] >= VISIBLE and lm[b, 2] >= VISIBLE:
                cv2.line(out, (int(lm[a, 0]), int(lm[a, 1])), (int(lm[b, 0]), int(lm[b, 1])),
                         BONE_RGB, thickness, cv2.LINE_AA)
        for x, y, v in lm:
            if v >= VISIBLE:
                cv2.circle(out, (int(x), int(y)), thickness + 1, JOINT_RGB, -1, cv2.LINE_AA)
        return out
