"""MediaPipe's 33 landmarks → OpenPose's 18 keypoints, and the OpenPose picture the ControlNet sees."""
import numpy as np
import pytest

from pose import Landmark, Pose
from pose.openpose import FROM_MEDIAPIPE, NUM_OPENPOSE_POINTS, OpenPosePoint, openpose_keypoints

torch = pytest.importorskip("torch")
pose_map = pytest.importorskip("gpu_kernels.pose_map")

W, H = 640, 480


def synthetic_pose(visibility: float = 0.9) -> Pose:
    """Every landmark at a distinct, known place inside the frame."""
    landmarks = np.zeros((33, 3), np.float32)
    for landmark in Landmark:
        landmarks[landmark] = (100 + 12 * int(landmark), 50 + 9 * int(landmark), visibility)
    return Pose(landmarks, None, W, H)


def test_every_point_but_the_neck_is_its_mediapipe_landmark():
    pose = synthetic_pose()
    keypoints = openpose_keypoints(pose)
    assert keypoints.shape == (NUM_OPENPOSE_POINTS, 3) and keypoints.dtype == np.float32
    for point, landmark in FROM_MEDIAPIPE.items():
        np.testing.assert_array_equal(keypoints[point], pose.landmarks[landmark])


def test_neck_is_between_the_shoulders_as_sure_as_the_less_sure_one():
    pose = synthetic_pose()
    pose.landmarks[Landmark.LEFT_SHOULDER] = (400, 200, 0.9)
    pose.landmarks[Landmark.RIGHT_SHOULDER] = (300, 210, 0.6)
    neck = openpose_keypoints(pose)[OpenPosePoint.NECK]
    np.testing.assert_allclose(neck, (350, 205, 0.6), rtol=1e-6)


def test_right_and_left_stay_the_persons_sides():
    pose = synthetic_pose()
    keypoints = openpose_keypoints(pose)
    for side_of_openpose, side_of_mediapipe in (("RIGHT", "RIGHT"), ("LEFT", "LEFT")):
        for part in ("SHOULDER", "ELBOW", "WRIST", "HIP", "KNEE", "ANKLE", "EYE", "EAR"):
            point = OpenPosePoint[f"{side_of_openpose}_{part}"]
            landmark = Landmark[f"{side_of_mediapipe}_{part}"]
            np.testing.assert_array_equal(keypoints[point, :2], pose.point(landmark))


@pytest.mark.parametrize("pose", [None, Pose.empty(W, H)], ids=["no pose", "nobody found"])
def test_without_a_person_every_point_is_missing(pose):
    assert not openpose_keypoints(pose).any()


def test_points_outside_the_frame_or_unseen_are_missing():
    pose = synthetic_pose()
    pose.landmarks[Landmark.LEFT_ANKLE] = (320, H + 40, 0.9)  # below the frame
    pose.landmarks[Landmark.RIGHT_WRIST] = (-5, 100, 0.9)  # left of it
    pose.landmarks[Landmark.NOSE, 2] = 0.0  # not visible
    keypoints = openpose_keypoints(pose)
    for point in (OpenPosePoint.LEFT_ANKLE, OpenPosePoint.RIGHT_WRIST, OpenPosePoint.NOSE):
        assert keypoints[point, 2] == 0.0
    assert keypoints[OpenPosePoint.LEFT_KNEE, 2] == pytest.approx(0.9)


def _limb_index(a: OpenPosePoint, b: OpenPosePoint) -> int:
    return pose_map.OPENPOSE_LIMBS.index((int(a), int(b)))


def _draw(keypoints: np.ndarray, h: int, w: int) -> np.ndarray:
    picture = pose_map.draw_pose_map(torch.from_numpy(keypoints), (h, w), stick_width=4.0, joint_radius=4.0,
                                     dtype=torch.float32)
    return (picture[0].permute(1, 2, 0).numpy() * 255).round()  # (h, w, 3) 0..255


def _assert_limbs_drawn_where_keypoints_are(keypoints: np.ndarray, picture: np.ndarray, limbs) -> None:
    for a, b in limbs:
        colour = np.array(pose_map.OPENPOSE_COLORS[_limb_index(a, b)]) * pose_map.LIMB_INTENSITY
        # A quarter of the way along the limb: clear of both joints' discs for limbs this long.
        x, y = keypoints[a, :2] + 0.25 * (keypoints[b, :2] - keypoints[a, :2])
        np.testing.assert_allclose(picture[int(y), int(x)], colour, atol=2, err_msg=f"limb {a.name}-{b.name}")
    for point in {p for limb in limbs for p in limb}:
        x, y = keypoints[point, :2]
        np.testing.assert_allclose(picture[int(y), int(x)], pose_map.OPENPOSE_COLORS[point], atol=2,
                                   err_msg=f"joint {point.name}")


LIMBS = [(OpenPosePoint.RIGHT_SHOULDER, OpenPosePoint.RIGHT_ELBOW),
         (OpenPosePoint.LEFT_ELBOW, OpenPosePoint.LEFT_WRIST),
         (OpenPosePoint.NECK, OpenPosePoint.RIGHT_HIP),
         (OpenPosePoint.LEFT_HIP, OpenPosePoint.LEFT_KNEE)]


def test_pose_map_draws_limbs_where_the_keypoints_are_in_openpose_colours():
    pose = Pose.empty(W, H)
    places = {Landmark.NOSE: (320, 80), Landmark.LEFT_EYE: (330, 72), Landmark.RIGHT_EYE: (310, 72),
              Landmark.LEFT_EAR: (342, 78), Landmark.RIGHT_EAR: (298, 78),
              Landmark.LEFT_SHOULDER: (380, 150), Landmark.RIGHT_SHOULDER: (260, 150),
              Landmark.LEFT_ELBOW: (440, 220), Landmark.RIGHT_ELBOW: (200, 220),
              Landmark.LEFT_WRIST: (480, 300), Landmark.RIGHT_WRIST: (160, 300),
              Landmark.LEFT_HIP: (360, 300), Landmark.RIGHT_HIP: (280, 300),
              Landmark.LEFT_KNEE: (370, 390), Landmark.RIGHT_KNEE: (270, 390),
              Landmark.LEFT_ANKLE: (375, 470), Landmark.RIGHT_ANKLE: (265, 470)}
    for landmark, xy in places.items():
        pose.landmarks[landmark] = (*xy, 1.0)
    keypoints = openpose_keypoints(pose)
    picture = _draw(keypoints, H, W)
    _assert_limbs_drawn_where_keypoints_are(keypoints, picture, LIMBS)
    assert not picture[10, 10].any() and not picture[H - 10, 20].any()  # black away from the body


def test_pose_map_of_the_astronaut_follows_mediapipe():
    pytest.importorskip("mediapipe")
    from pose.estimator import PoseEstimator
    from tools.testclip import astronaut

    photo = np.ascontiguousarray(astronaut())
    estimator = PoseEstimator(with_matte=False, smoothing=False)
    try:
        pose = estimator.estimate(photo, 0.0, matte=False)
    finally:
        estimator.close()
    keypoints = openpose_keypoints(pose)
    assert keypoints[[OpenPosePoint.NECK, OpenPosePoint.RIGHT_SHOULDER, OpenPosePoint.RIGHT_ELBOW], 2].min() > 0.5
    # The astronaut's right shoulder is on the picture's left (an unmirrored photo).
    assert keypoints[OpenPosePoint.RIGHT_SHOULDER, 0] < keypoints[OpenPosePoint.LEFT_SHOULDER, 0]
    picture = _draw(keypoints, *photo.shape[:2])
    seen = [(a, b) for a, b in LIMBS if keypoints[a, 2] >= 0.3 and keypoints[b, 2] >= 0.3]
    assert seen, "mediapipe found none of the limbs this test looks at"
    _assert_limbs_drawn_where_keypoints_are(keypoints, picture, seen[:2])
