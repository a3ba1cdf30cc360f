"""Frame → pose keypoints and person matte (MediaPipe, offline). Knows nothing of scenes.

`PoseEstimator` is imported lazily (`from pose.estimator import PoseEstimator`) or via this
package's attribute, so importing `pose` for the data types does not load MediaPipe.
"""
from pose.landmarks import BONES, NUM_LANDMARKS, Landmark, Pose
from pose.smoothing import OneEuroFilter

__all__ = ["BONES", "NUM_LANDMARKS", "Landmark", "OneEuroFilter", "Pose", "PoseEstimator", "PoseUnavailable"]


def __getattr__(name: str):
    if name in ("PoseEstimator", "PoseUnavailable"):
        from pose import estimator

        return getattr(estimator, name)
    raise AttributeError(f"module 'pose' has no attribute {name!r}")
