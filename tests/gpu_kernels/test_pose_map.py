"""gpu_kernels.pose_map: the OpenPose conditioning image drawn from keypoints.

What is drawn (colours, places, confidence, antialiasing, order) is checked on the reference, the
CPU drawing; the Triton kernel, run under Triton's interpreter on CPU tensors, is checked against it.
"""
import functools

import pytest
import torch

from gpu_kernels.backend import tolerance
from gpu_kernels.pose_map import KEYPOINTS, OPENPOSE_COLORS, OPENPOSE_LIMBS, draw_pose_map

DTYPES = [torch.float32, torch.float16, torch.bfloat16]
STICK, RADIUS = 4.0, 3.0  # the limb ellipses' semi-minor axis (controlnet_aux's stickwidth), the joints' radius
LIMB_INTENSITY = 0.6  # OpenPose's body drawing dims limbs to 60 %; joints are full colour

# A person facing the camera on a 256 x 256 canvas: x right, y down, their right on image left.
STANDING = {
    "nose": (128, 50), "neck": (128, 80),
    "r_shoulder": (98, 80), "r_elbow": (78, 120), "r_wrist": (70, 165),
    "l_shoulder": (158, 80), "l_elbow": (178, 120), "l_wrist": (186, 165),
    "r_hip": (110, 150), "r_knee": (105, 195), "r_ankle": (102, 240),
    "l_hip": (146, 150), "l_knee": (151, 195), "l_ankle": (154, 240),
    "r_eye": (120, 42), "l_eye": (136, 42), "r_ear": (108, 46), "l_ear": (148, 46),
}


@functools.cache
def standing_image():
    return draw_pose_map(keypoints(), (256, 256), STICK, RADIUS, dtype=torch.float32)


def keypoints(points=STANDING, confidence=None):
    confidence = confidence or {}
    return torch.tensor([[*points[name], confidence.get(name, 0.9)] for name in KEYPOINTS], dtype=torch.float32)


def colour(k, intensity=1.0):
    return torch.tensor(OPENPOSE_COLORS[k], dtype=torch.float32) / 255 * intensity


def pixel(image, x, y):
    """The (3,) colour of the pixel whose area holds the point (x, y)."""
    return image[0, :, int(y), int(x)].float()


def distance_to_segment(p, a, b):
    ab, ap = b - a, p - a
    t = max(0.0, min(1.0, float(ap @ ab) / max(float(ab @ ab), 1e-12)))
    return float(torch.linalg.vector_norm(ap - t * ab))


def test_skeleton_is_openpose_coco18():
    names = [(KEYPOINTS[a], KEYPOINTS[b]) for a, b in OPENPOSE_LIMBS]
    assert names == [
        ("neck", "r_shoulder"), ("neck", "l_shoulder"), ("r_shoulder", "r_elbow"), ("r_elbow", "r_wrist"),
        ("l_shoulder", "l_elbow"), ("l_elbow", "l_wrist"), ("neck", "r_hip"), ("r_hip", "r_knee"),
        ("r_knee", "r_ankle"), ("neck", "l_hip"), ("l_hip", "l_knee"), ("l_knee", "l_ankle"),
        ("neck", "nose"), ("nose", "r_eye"), ("r_eye", "r_ear"), ("nose", "l_eye"), ("l_eye", "l_ear"),
    ]
    assert len(OPENPOSE_COLORS) == len(KEYPOINTS) == 18
    assert OPENPOSE_COLORS[0] == (255, 0, 0) and OPENPOSE_COLORS[12] == (0, 0, 255)


@pytest.mark.parametrize("limb", range(len(OPENPOSE_LIMBS)),
                         ids=[f"{KEYPOINTS[a]}-{KEYPOINTS[b]}" for a, b in OPENPOSE_LIMBS])
def test_limb_is_drawn_between_its_keypoints_in_its_colour(limb):
    kp, image = keypoints(), standing_image()
    a, b = OPENPOSE_LIMBS[limb]
    mid = (kp[a, :2] + kp[b, :2]) / 2
    # The pose is laid out so that nothing else reaches a limb's midpoint.
    others = [distance_to_segment(mid, kp[i, :2], kp[j, :2]) for n, (i, j) in enumerate(OPENPOSE_LIMBS) if n != limb]
    joints = [float(torch.linalg.vector_norm(mid - kp[k, :2])) for k in range(18)]
    assert min(others) > STICK + 1 and min(joints) > RADIUS + 1
    torch.testing.assert_close(pixel(image, *mid.tolist()), colour(limb, LIMB_INTENSITY))


@pytest.mark.parametrize("joint", range(len(KEYPOINTS)), ids=KEYPOINTS)
def test_joint_is_drawn_over_the_limbs_in_full_colour(joint):
    kp, image = keypoints(), standing_image()
    torch.testing.assert_close(pixel(image, *kp[joint, :2].tolist()), colour(joint))


def test_pixels_far_from_the_skeleton_are_black():
    image = standing_image()
    for x, y in ((5, 5), (250, 5), (5, 250), (250, 250), (30, 120), (128, 120), (220, 100)):
        assert pixel(image, x, y).eq(0).all()
    assert image.min() >= 0 and image.max() <= 1


def test_low_confidence_points_and_their_limbs_are_skipped():
    shown = standing_image()
    hidden = draw_pose_map(keypoints(confidence={"r_wrist": 0.1}), (256, 256), STICK, RADIUS, dtype=torch.float32)
    wrist, elbow = torch.tensor(STANDING["r_wrist"]), torch.tensor(STANDING["r_elbow"])
    assert pixel(hidden, *wrist.tolist()).eq(0).all()
    assert pixel(hidden, *((wrist + elbow) / 2).tolist()).eq(0).all()
    torch.testing.assert_close(pixel(hidden, *elbow.tolist()), colour(3))
    # Nothing else changed: every changed pixel lies on the forearm or the wrist.
    changed = (shown != hidden).any(dim=1)[0].nonzero()
    assert len(changed) > 0
    for row, col in changed.tolist():
        p = torch.tensor([col + 0.5, row + 0.5])
        assert distance_to_segment(p, elbow.float(), wrist.float()) <= max(STICK, RADIUS) + 0.5


def test_confidence_exactly_at_the_threshold_is_drawn():
    kp = keypoints(confidence={"r_wrist": 0.3})
    image = draw_pose_map(kp, (256, 256), STICK, RADIUS, min_confidence=0.3, dtype=torch.float32)
    torch.testing.assert_close(pixel(image, *STANDING["r_wrist"]), colour(4))


def only_the_limb(start, end, size=(100, 120), stick_width=4.0):
    """neck -> r_shoulder (limb 0, pure red) from `start` to `end`, everything else hidden, at
    coverage 0..1 (the limb layer divided by its 60 % intensity); joints of radius 0.1."""
    points = dict(STANDING, neck=start, r_shoulder=end)
    kp = keypoints(points, confidence={name: 0.0 for name in KEYPOINTS if name not in ("neck", "r_shoulder")})
    return draw_pose_map(kp, size, stick_width, joint_radius=0.1, dtype=torch.float32)[0, 0] / LIMB_INTENSITY


def test_limb_edges_are_antialiased_over_one_pixel():
    # Along y = 50 (the boundary between rows 49 and 50); column 60's centre is the limb's middle.
    column = only_the_limb((100.5, 50), (20.5, 50), stick_width=2.5)[44:56, 60]
    # Row centres 0.5, 1.5, 2.5, 3.5 from the axis: coverage clamp(0.5 - (d - 2.5), 0, 1).
    expected = torch.tensor([0, 0, 0, 0.5, 1, 1, 1, 1, 0.5, 0, 0, 0])
    torch.testing.assert_close(column, expected)


def test_a_limb_is_the_ellipse_controlnet_aux_draws_eight_pixels_wide_at_its_middle():
    # controlnet_aux: cv2.ellipse2Poly(middle, (length / 2, stickwidth), angle) with stickwidth = 4:
    # the limb's width across, at a distance u from its middle, is 2 · 4 · sqrt(1 - (u / a)²).
    a, b = 40.0, 4.0
    coverage = only_the_limb((100.5, 50), (20.5, 50), stick_width=b)
    middle = coverage[:, 60]
    assert middle[46:54].eq(1).all() and middle[:46].eq(0).all() and middle[54:].eq(0).all()  # 8 px wide
    for u in (10.0, 20.0, 30.0, 36.0):
        width = float(coverage[:, int(60 + u)].sum())  # coverage summed across = the chord's length
        assert width == pytest.approx(2 * b * (1 - (u / a) ** 2) ** 0.5, abs=0.15), u
    # Along the axis it reaches the keypoints (x = 20.5 and 100.5) and stops there.
    row = coverage[49]
    assert row[22:99].eq(1).all() and row[:20].eq(0).all() and row[102:].eq(0).all()


def test_a_diagonal_limb_has_the_same_width_across_its_middle():
    # The same ellipse turned 45°: its chord perpendicular through the middle is 2 · 4 px.
    coverage = only_the_limb((30.5, 30.5), (80.5, 80.5), size=(112, 112))
    across = torch.stack([coverage[55 - i, 55 + i] for i in range(-8, 9)])  # pixel centres along (1, -1)
    # Pixel centres along the diagonal are √2 apart: the covered ones lie within 4 of the middle.
    assert float(across.sum()) * 2 ** 0.5 == pytest.approx(8.0, abs=1.0)
    assert across[8] == 1 and across[0] == 0 and across[-1] == 0


def test_later_limbs_are_drawn_over_earlier_ones():
    # Arms crossed: r_shoulder-r_elbow (limb 2) and l_shoulder-l_elbow (limb 4) cross at (128, 100).
    points = dict(STANDING, r_shoulder=(98, 70), r_elbow=(158, 130), l_shoulder=(158, 70), l_elbow=(98, 130))
    image = draw_pose_map(keypoints(points), (256, 256), STICK, RADIUS, dtype=torch.float32)
    torch.testing.assert_close(pixel(image, 128, 100), colour(4, LIMB_INTENSITY))


def test_drawing_follows_the_dtype_and_fills_out():
    kp = keypoints()
    out = torch.full((1, 3, 64, 64), 7.0, dtype=torch.bfloat16)
    result = draw_pose_map(kp * torch.tensor([0.25, 0.25, 1.0]), (64, 64), STICK, RADIUS, out=out)
    assert result is out and out.max() <= 1 and out.max() > 0
    assert draw_pose_map(kp, (8, 8), STICK, RADIUS).dtype == torch.float16


# ---- Triton parity ------------------------------------------------------------------------------

def random_keypoints(h, w, seed):
    g = torch.Generator().manual_seed(seed)
    kp = torch.rand((18, 3), generator=g)
    # Some points off the canvas, some below the confidence threshold, one zero-length limb.
    kp[:, 0] = kp[:, 0] * (w * 1.2) - 0.1 * w
    kp[:, 1] = kp[:, 1] * (h * 1.2) - 0.1 * h
    kp[14, :2] = kp[0, :2]
    kp[14, 2] = kp[0, 2] = 0.95
    return kp


# Compute is fp32 whatever the dtype, which only changes the store: every dtype on the small sizes,
# the ControlNet's 512 x 512 in fp16 (the interpreter takes about a second there).
CASES = [(size, dtype) for size in ((37, 53), (1, 1), (96, 300)) for dtype in DTYPES] + [((512, 512), torch.float16)]


@pytest.mark.parametrize("size,dtype", CASES, ids=[f"{h}x{w}-{str(d)[6:]}" for (h, w), d in CASES])
def test_pose_map_matches_reference_on_odd_sizes(size, dtype):
    kp = random_keypoints(*size, seed=sum(size))
    width = max(2.0, min(size) / 20)
    expected = draw_pose_map(kp, size, width, width * 0.8, dtype=dtype, backend="torch")
    actual = draw_pose_map(kp, size, width, width * 0.8, dtype=dtype, backend="triton")
    assert actual.dtype == dtype and actual.shape == (1, 3, *size)
    torch.testing.assert_close(actual.float(), expected.float(), **tolerance(dtype))
    if size != (1, 1):
        assert expected.float().sum() > 0  # something was drawn


def test_pose_map_matches_reference_on_non_contiguous_keypoints_and_output():
    base = random_keypoints(64, 80, seed=3)
    padded = torch.cat([base, torch.zeros(18, 2)], dim=1)[:, :3]       # (18, 3) with row stride 5
    transposed = base.t().contiguous().t()                              # (18, 3) column-major
    for kp in (padded, transposed):
        assert not kp.is_contiguous()
        out = torch.empty((1, 64, 80, 3), dtype=torch.float16).permute(0, 3, 1, 2)
        draw_pose_map(kp, (64, 80), 5.0, 4.0, out=out, backend="triton")
        expected = draw_pose_map(base, (64, 80), 5.0, 4.0, backend="torch")
        torch.testing.assert_close(out.float(), expected.float(), **tolerance(torch.float16))


def test_pose_map_of_the_standing_person_matches_reference():
    kp = keypoints(confidence={"l_wrist": 0.1})
    expected = draw_pose_map(kp, (256, 256), STICK, RADIUS, dtype=torch.float32, backend="torch")
    actual = draw_pose_map(kp, (256, 256), STICK, RADIUS, dtype=torch.float32, backend="triton")
    torch.testing.assert_close(actual, expected, **tolerance(torch.float32))
