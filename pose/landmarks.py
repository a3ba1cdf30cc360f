"""The pose of one frame as plain data: 33 MediaPipe landmarks in pixels, plus the person matte.

Landmark indices follow MediaPipe Pose (BlazePose 33). "Left"/"right" are the *person's* sides,
as MediaPipe labels them on an unmirrored camera image.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np


class Landmark(IntEnum):
    NOSE = 0
    LEFT_EYE_INNER = 1
    LEFT_EYE = 2
    LEFT_EYE_OUTER = 3
    RIGHT_EYE_INNER = 4
    RIGHT_EYE = 5
    RIGHT_EYE_OUTER = 6
    LEFT_EAR = 7
    RIGHT_EAR = 8
    MOUTH_LEFT = 9
    MOUTH_RIGHT = 10
    LEFT_SHOULDER = 11
    RIGHT_SHOULDER = 12
    LEFT_ELBOW = 13
    RIGHT_ELBOW = 14
    LEFT_WRIST = 15
    RIGHT_WRIST = 16
    LEFT_PINKY = 17
    RIGHT_PINKY = 18
    LEFT_INDEX = 19
    RIGHT_INDEX = 20
    LEFT_THUMB = 21
    RIGHT_THUMB = 22
    LEFT_HIP = 23
    RIGHT_HIP = 24
    LEFT_KNEE = 25
    RIGHT_KNEE = 26
    LEFT_ANKLE = 27
    RIGHT_ANKLE = 28
    LEFT_HEEL = 29
    RIGHT_HEEL = 30
    LEFT_FOOT_INDEX = 31
    RIGHT_FOOT_INDEX = 32


NUM_LANDMARKS = 33

# Bones drawn by the skeleton overlay and used to judge limb direction.
BONES: tuple[tuple[Landmark, Landmark], ...] = (
    (Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER),
    (Landmark.LEFT_SHOULDER, Landmark.LEFT_ELBOW),
    (Landmark.LEFT_ELBOW, Landmark.LEFT_WRIST),
    (Landmark.RIGHT_SHOULDER, Landmark.RIGHT_ELBOW),
    (Landmark.RIGHT_ELBOW, Landmark.RIGHT_WRIST),
    (Landmark.LEFT_SHOULDER, Landmark.LEFT_HIP),
    (Landmark.RIGHT_SHOULDER, Landmark.RIGHT_HIP),
    (Landmark.LEFT_HIP, Landmark.RIGHT_HIP),
    (Landmark.LEFT_HIP, Landmark.LEFT_KNEE),
    (Landmark.LEFT_KNEE, Landmark.LEFT_ANKLE),
    (Landmark.RIGHT_HIP, Landmark.RIGHT_KNEE),
    (Landmark.RIGHT_KNEE, Landmark.RIGHT_ANKLE),
    (Landmark.NOSE, Landmark.LEFT_EYE),
    (Landmark.NOSE, Landmark.RIGHT_EYE),
)


@dataclass(frozen=True)
class Pose:
    """Keypoints and matte of one frame.

    landmarks: (33, 3) float32 — x, y in pixels of the frame (may lie outside it), visibility in [0, 1].
    matte: (H, W) float32 in [0, 1], the probability that a pixel is the person; None when not computed.
    """

    landmarks: np.ndarray
    matte: np.ndarray | None
    width: int
    height: int

    @property
    def found(self) -> bool:
        return bool(self.landmarks[:, 2].max(initial=0.0) > 0.0)

    def point(self, landmark: Landmark) -> np.ndarray:
        """(x, y) in pixels."""
        return self.landmarks[landmark, :2]

    def visible(self, landmark: Landmark, threshold: float = 0.5) -> bool:
        return bool(self.landmarks[landmark, 2] >= threshold)

    def shoulder_width(self) -> float:
        """Body scale in pixels: the distance between the shoulders."""
        return float(np.linalg.norm(self.point(Landmark.LEFT_SHOULDER) - self.point(Landmark.RIGHT_SHOULDER)))

    @staticmethod
    def empty(width: int, height: int) -> "Pose":
        return Pose(np.zeros((NUM_LANDMARKS, 3), np.float32), None, width, height)
