"""Frame → pose keypoints and person matte (MediaPipe, offline). Knows nothing of scenes."""
from pose.landmarks import BONES, NUM_LANDMARKS, Landmark, Pose

__all__ = ["BONES", "NUM_LANDMARKS", "Landmark", "Pose"]
