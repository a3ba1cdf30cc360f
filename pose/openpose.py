"""MediaPipe's 33 landmarks as OpenPose's 18-point COCO skeleton, the input OpenPose ControlNets know.

OpenPose (COCO-18) has a neck, which MediaPipe does not: it is the point between the shoulders,
as sure as the less sure shoulder. Hands and feet beyond wrists and ankles, the mouth and the inner
and outer eye corners have no OpenPose point and are dropped. "Left"/"right" stay the person's
sides, as in both skeletons. A point OpenPose would not have found (not visible, or outside the
frame) has confidence 0; drawing skips it and every limb that ends in it.

numpy only: the diffusion stage calls this on its own thread, beside torch.
"""
from __future__ import annotations

from enum import IntEnum

import numpy as np

from pose.landmarks import Landmark, Pose


class OpenPosePoint(IntEnum):
    """COCO-18 order, as OpenPose and its ControlNets number the points."""

    NOSE = 0
    NECK = 1
    RIGHT_SHOULDER = 2
    RIGHT_ELBOW = 3
    RIGHT_WRIST = 4
    LEFT_SHOULDER = 5
    LEFT_ELBOW = 6
    LEFT_WRIST = 7
    RIGHT_HIP = 8
    RIGHT_KNEE = 9
    RIGHT_ANKLE = 10
    LEFT_HIP = 11
    LEFT_KNEE = 12
    LEFT_ANKLE = 13
    RIGHT_EYE = 14
    LEFT_EYE = 15
    RIGHT_EAR = 16
    LEFT_EAR = 17


NUM_OPENPOSE_POINTS = 18

# Every OpenPose point but the neck is one MediaPipe landmark.
FROM_MEDIAPIPE: dict[OpenPosePoint, Landmark] = {
    OpenPosePoint.NOSE: Landmark.NOSE,
    OpenPosePoint.RIGHT_SHOULDER: Landmark.RIGHT_SHOULDER,
    OpenPosePoint.RIGHT_ELBOW: Landmark.RIGHT_ELBOW,
    OpenPosePoint.RIGHT_WRIST: Landmark.RIGHT_WRIST,
    OpenPosePoint.LEFT_SHOULDER: Landmark.LEFT_SHOULDER,
    OpenPosePoint.LEFT_ELBOW: Landmark.LEFT_ELBOW,
    OpenPosePoint.LEFT_WRIST: Landmark.LEFT_WRIST,
    OpenPosePoint.RIGHT_HIP: Landmark.RIGHT_HIP,
    OpenPosePoint.RIGHT_KNEE: Landmark.RIGHT_KNEE,
    OpenPosePoint.RIGHT_ANKLE: Landmark.RIGHT_ANKLE,
    OpenPosePoint.LEFT_HIP: Landmark.LEFT_HIP,
    OpenPosePoint.LEFT_KNEE: Landmark.LEFT_KNEE,
    OpenPosePoint.LEFT_ANKLE: Landmark.LEFT_ANKLE,
    OpenPosePoint.RIGHT_EYE: Landmark.RIGHT_EYE,
    OpenPosePoint.LEFT_EYE: Landmark.LEFT_EYE,
    OpenPosePoint.RIGHT_EAR: Landmark.RIGHT_EAR,
    OpenPosePoint.LEFT_EAR: Landmark.LEFT_EAR,
}
_OPENPOSE_ROWS = np.array([int(p) for p in FROM_MEDIAPIPE], np.intp)
_MEDIAPIPE_ROWS = np.array([int(m) for m in FROM_MEDIAPIPE.values()], np.intp)


def openpose_keypoints(pose: Pose | None, out: np.ndarray | None = None) -> np.ndarray:
    """(18, 3) float32 [x_px, y_px, confidence] in the pose's frame, COCO-18 order (OpenPosePoint).

    No pose, or no person found: all zeros. `out`, when given, is filled and returned.
    """
    keypoints = np.zeros((NUM_OPENPOSE_POINTS, 3), np.float32) if out is None else out
    keypoints.fill(0.0)
    if pose is None or not pose.found:
        return keypoints
    landmarks = pose.landmarks
    keypoints[_OPENPOSE_ROWS] = landmarks[_MEDIAPIPE_ROWS]
    left, right = landmarks[Landmark.LEFT_SHOULDER], landmarks[Landmark.RIGHT_SHOULDER]
    keypoints[OpenPosePoint.NECK, :2] = (left[:2] + right[:2]) / 2
    keypoints[OpenPosePoint.NECK, 2] = min(left[2], right[2])
    x, y = keypoints[:, 0], keypoints[:, 1]
    outside = (x < 0) | (y < 0) | (x >= pose.width) | (y >= pose.height)
    keypoints[outside, 2] = 0.0
    np.clip(keypoints[:, 2], 0.0, 1.0, out=keypoints[:, 2])
    return keypoints
