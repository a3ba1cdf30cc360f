import numpy as np

from mirror.render.skeleton import BONE_RGB, SkeletonRenderer
from pose import Landmark, Pose
from pose.landmarks import NUM_LANDMARKS


def test_skeleton_draws_visible_bones_and_leaves_the_input_alone():
    image = np.zeros((240, 320, 3), np.uint8)
    lm = np.zeros((NUM_LANDMARKS, 3), np.float32)
    lm[Landmark.LEFT_SHOULDER] = (200, 100, 1.0)
    lm[Landmark.RIGHT_SHOULDER] = (100, 100, 1.0)
    out = SkeletonRenderer().render(image, Pose(lm, None, 320, 240), scene=None)
    assert tuple(out[100, 150]) == BONE_RGB
    assert image.max() == 0


def test_skeleton_without_a_person_is_the_camera_frame():
    image = np.full((240, 320, 3), 7, np.uint8)
    out = SkeletonRenderer().render(image, Pose.empty(320, 240), scene=None)
    assert np.array_equal(out, image)
