"""Fixtures the render tests share."""
from __future__ import annotations

import pytest

from pose.estimator import PoseEstimator
from tools.testclip import clip_frames


@pytest.fixture(scope="module")
def still():
    """The test clip's first frame and its pose, as the estimator sees it after three frames."""
    frame = next(clip_frames(1)).image
    estimator = PoseEstimator(smoothing=False)
    try:
        for i in range(3):
            pose = estimator.estimate(frame, i / 30)
    finally:
        estimator.close()
    return frame, pose
