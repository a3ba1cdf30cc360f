"""Props land on the body part they belong to, on the real pose of the test photo."""
import math

import numpy as np
import pytest

from pose import Landmark
from pose.estimator import PoseEstimator
from world import Scene, layout
from world import edits
from tools.testclip import clip_frames


@pytest.fixture(scope="module")
def poses():
    estimator = PoseEstimator(with_matte=False)
    try:
        return [(f, estimator.estimate(f.image, f.index / 30, matte=False)) for f in clip_frames(30)]
    finally:
        estimator.close()


def scene_with(catalog, *kinds):
    s = Scene.empty()
    for kind in kinds:
        s = edits.add_prop(s, catalog, kind)
    return s


def test_sword_grip_is_at_the_right_hand_and_follows_the_forearm_pointing_up(catalog, poses):
    scene = scene_with(catalog, "sword")
    for frame, pose in poses:
        (placement,) = layout(scene, catalog, pose.landmarks, 640, 480)
        wrist = pose.point(Landmark.RIGHT_WRIST)
        assert math.dist((placement.x, placement.y), wrist) < 0.25 * pose.shoulder_width()
        dx, dy = wrist - pose.point(Landmark.RIGHT_ELBOW)
        expected = math.degrees(math.atan2(dx, abs(dy)))  # sideways like the forearm, never downward
        assert abs((placement.angle_deg - expected + 180) % 360 - 180) < 1e-6
        assert -90 <= placement.angle_deg <= 90


@pytest.mark.parametrize("forearm, expected_angle", [((0, -1), 0), ((1, 0), 90), ((0, 1), 0), ((1, 1), 45), ((-1, 1), -45)])
def test_held_prop_angle_table(catalog, forearm, expected_angle):
    landmarks = np.zeros((33, 3), np.float32)
    landmarks[:, 2] = 1.0
    landmarks[Landmark.LEFT_SHOULDER, :2] = (400, 200)
    landmarks[Landmark.RIGHT_SHOULDER, :2] = (300, 200)
    landmarks[Landmark.RIGHT_ELBOW, :2] = (300, 300)
    landmarks[Landmark.RIGHT_WRIST, :2] = (300 + 50 * forearm[0], 300 + 50 * forearm[1])
    landmarks[[Landmark.RIGHT_INDEX, Landmark.RIGHT_PINKY], 2] = 0.0
    (placement,) = layout(scene_with(catalog, "sword"), catalog, landmarks, 640, 480)
    assert placement.angle_deg == pytest.approx(expected_angle)
    assert (placement.x, placement.y) == pytest.approx(tuple(landmarks[Landmark.RIGHT_WRIST, :2]))


def test_crown_sits_above_the_eyes_and_scales_with_the_body(catalog, poses):
    scene = scene_with(catalog, "crown")
    for _, pose in poses:
        (placement,) = layout(scene, catalog, pose.landmarks, 640, 480)
        eyes_y = (pose.point(Landmark.LEFT_EYE)[1] + pose.point(Landmark.RIGHT_EYE)[1]) / 2
        assert placement.y < eyes_y - 0.2 * pose.shoulder_width()
        assert placement.height_px == pytest.approx(pose.shoulder_width() * catalog.props["crown"].size)


def test_cape_is_drawn_behind_and_first(catalog, poses):
    scene = scene_with(catalog, "sword", "cape")
    placements = layout(scene, catalog, poses[0][1].landmarks, 640, 480)
    assert [(p.kind, p.layer) for p in placements] == [("cape", "behind"), ("sword", "front")]


def test_a_prop_whose_anchor_is_not_visible_is_left_out(catalog, poses):
    landmarks = poses[0][1].landmarks.copy()
    landmarks[Landmark.RIGHT_WRIST, 2] = 0.0
    assert [p.kind for p in layout(scene_with(catalog, "sword", "crown"), catalog, landmarks, 640, 480)] == ["crown"]


def test_no_person_no_props(catalog):
    assert layout(scene_with(catalog, "sword"), catalog, np.zeros((33, 3), np.float32), 640, 480) == []
