"""The ControlNet's OpenPose conditioning image, drawn straight from keypoints.

Keypoints are COCO-18 in OpenPose order (see KEYPOINTS), (18, 3) float32 [x_px, y_px, confidence],
in pixels of the output image, whose pixel (row r, column c) has its centre at (c + 0.5, r + 0.5).

The look follows OpenPose's body drawing as controlnet_aux renders it (what the OpenPose ControlNets
were trained on: `draw_bodypose` in controlnet_aux/open_pose/util.py): limb i is a filled ellipse
centred between its two keypoints, its semi-major axis half the limb's length along the limb and
its semi-minor axis `stickwidth` (4 px at a 512 px short side) across it, so a limb is 8 px wide at
its middle and tapers to its ends; limbs are drawn in colour i at 60 % intensity, then joint k as a
disc of radius 4 in colour k at full intensity, on black. Shapes are antialiased by coverage, 1
inside fading to 0 over one pixel, with d the (signed) distance to the shape's edge:
    limb  (ellipse):  clamp(0.5 - d, 0, 1),  d ≈ (k - 1) · k / |∇(k²/2)|,  k = √((u/a)² + (v/b)²)
                      u, v: the pixel along and across the limb from its middle; a = length / 2,
                      b = stick_width. Exact on both axes (d = |v| - b at u = 0, |u| - a at v = 0).
    joint (disc):     clamp(joint_radius - d + 0.5, 0, 1),  d = distance to the point
and composited "over" in drawing order: all limbs in table order, then all joints, each one
colour * coverage + canvas * (1 - coverage). A point below `min_confidence` is not drawn, nor is
a limb with such an endpoint. Everything is computed in fp32 and stored in `dtype`, values in [0, 1].

No host sync on either path: visibility is a per-shape 0/1 factor, not a Python branch, so a
keypoint tensor on the GPU never needs to come back to the CPU.
"""
import torch
from torch import Tensor

from gpu_kernels.backend import block_size, jit, launchable, tl, triton, use_triton

KEYPOINTS = ("nose", "neck", "r_shoulder", "r_elbow", "r_wrist", "l_shoulder", "l_elbow", "l_wrist",
             "r_hip", "r_knee", "r_ankle", "l_hip", "l_knee", "l_ankle", "r_eye", "l_eye", "r_ear", "l_ear")
# controlnet_aux's limbSeq, 0-based.
OPENPOSE_LIMBS = (
    (1, 2), (1, 5), (2, 3), (3, 4), (5, 6), (6, 7), (1, 8), (8, 9), (9, 10),
    (1, 11), (11, 12), (12, 13), (1, 0), (0, 14), (14, 16), (0, 15), (15, 17),
)
OPENPOSE_COLORS = (
    (255, 0, 0), (255, 85, 0), (255, 170, 0), (255, 255, 0), (170, 255, 0), (85, 255, 0),
    (0, 255, 0), (0, 255, 85), (0, 255, 170), (0, 255, 255), (0, 170, 255), (0, 85, 255),
    (0, 0, 255), (85, 0, 255), (170, 0, 255), (255, 0, 255), (255, 0, 170), (255, 0, 85),
)
LIMB_INTENSITY = 0.6  # OpenPose dims the limb layer to 60 % before drawing the joints over it


@jit
def _ellipse_cover(px, py, ax, ay, bx, by, b):
    # Coverage of the limb ellipse from (ax, ay) to (bx, by), semi-minor axis b, at pixel centres
    # (px, py); the module docstring has the formula. A zero-length limb keeps a direction (x) and
    # a tiny semi-major axis: a sliver, as OpenCV draws an ellipse with a zero axis.
    dx = bx - ax
    dy = by - ay
    length = tl.sqrt(dx * dx + dy * dy)
    ux = tl.where(length > 0.0, dx / tl.maximum(length, 1e-12), 1.0)
    uy = tl.where(length > 0.0, dy / tl.maximum(length, 1e-12), 0.0)
    a = tl.maximum(0.5 * length, 1e-3)
    ox = px - 0.5 * (ax + bx)
    oy = py - 0.5 * (ay + by)
    u = ox * ux + oy * uy    # along the limb
    v = oy * ux - ox * uy    # across it
    k = tl.sqrt((u / a) * (u / a) + (v / b) * (v / b))
    g = tl.sqrt((u / (a * a)) * (u / (a * a)) + (v / (b * b)) * (v / (b * b)))
    d = tl.where(g > 0.0, (k - 1.0) * k / tl.maximum(g, 1e-30), -tl.minimum(a, b))
    return tl.minimum(tl.maximum(0.5 - d, 0.0), 1.0)


@jit
def _pose_map_kernel(
    kp_ptr, s_kp, s_kc,        # keypoints (18, 3) [x, y, confidence], any strides
    limbs_ptr,                 # (17, 2) int32 keypoint pairs
    limb_rgb_ptr, joint_rgb_ptr,  # (17, 3), (18, 3) float32 colours in 0..1, limbs pre-dimmed
    out_ptr, h, w, so_c, so_h, so_w,  # out (1, 3, h, w)
    stick_width, radius, min_confidence,
    N_LIMBS: tl.constexpr, N_JOINTS: tl.constexpr, BLOCK: tl.constexpr,
):
    idx = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)  # (BLOCK,) flat over h * w
    mask = idx < h * w
    py = (idx // w).to(tl.float32) + 0.5
    px = (idx % w).to(tl.float32) + 0.5
    r = tl.full((BLOCK,), 0.0, tl.float32)
    g = tl.full((BLOCK,), 0.0, tl.float32)
    b = tl.full((BLOCK,), 0.0, tl.float32)
    for i in tl.static_range(N_LIMBS):
        ka = tl.load(limbs_ptr + 2 * i)
        kb = tl.load(limbs_ptr + 2 * i + 1)
        ax = tl.load(kp_ptr + ka * s_kp)
        ay = tl.load(kp_ptr + ka * s_kp + s_kc)
        bx = tl.load(kp_ptr + kb * s_kp)
        by = tl.load(kp_ptr + kb * s_kp + s_kc)
        visible = (tl.load(kp_ptr + ka * s_kp + 2 * s_kc) >= min_confidence) & \
                  (tl.load(kp_ptr + kb * s_kp + 2 * s_kc) >= min_confidence)
        cover = _ellipse_cover(px, py, ax, ay, bx, by, stick_width)
        cover = tl.where(visible, cover, 0.0)
        r = r * (1.0 - cover) + tl.load(limb_rgb_ptr + 3 * i) * cover
        g = g * (1.0 - cover) + tl.load(limb_rgb_ptr + 3 * i + 1) * cover
        b = b * (1.0 - cover) + tl.load(limb_rgb_ptr + 3 * i + 2) * cover
    for k in tl.static_range(N_JOINTS):
        ex = px - tl.load(kp_ptr + k * s_kp)
        ey = py - tl.load(kp_ptr + k * s_kp + s_kc)
        visible = tl.load(kp_ptr + k * s_kp + 2 * s_kc) >= min_confidence
        cover = tl.minimum(tl.maximum(radius - tl.sqrt(ex * ex + ey * ey) + 0.5, 0.0), 1.0)
        cover = tl.where(visible, cover, 0.0)
        r = r * (1.0 - cover) + tl.load(joint_rgb_ptr + 3 * k) * cover
        g = g * (1.0 - cover) + tl.load(joint_rgb_ptr + 3 * k + 1) * cover
        b = b * (1.0 - cover) + tl.load(joint_rgb_ptr + 3 * k + 2) * cover
    out = out_ptr + (idx // w) * so_h + (idx % w) * so_w
    dtype = out_ptr.dtype.element_ty
    tl.store(out, r.to(dtype), mask=mask)
    tl.store(out + so_c, g.to(dtype), mask=mask)
    tl.store(out + 2 * so_c, b.to(dtype), mask=mask)


def draw_pose_map_reference(keypoints: Tensor, size: tuple[int, int], stick_width: float, joint_radius: float,
                            min_confidence: float = 0.3, dtype: torch.dtype = torch.float16,
                            out: Tensor | None = None) -> Tensor:
    _check_keypoints(keypoints)
    h, w = size
    device = keypoints.device
    py = (torch.arange(h, device=device, dtype=torch.float32) + 0.5)[:, None]  # (h, 1)
    px = (torch.arange(w, device=device, dtype=torch.float32) + 0.5)[None, :]  # (1, w)
    kp = keypoints.float()
    x, y, visible = kp[:, 0], kp[:, 1], kp[:, 2] >= min_confidence             # (18,) each
    limb_rgb, joint_rgb = _colours(device)
    canvas = torch.zeros(3, h, w, device=device)
    b = torch.tensor(stick_width, device=device, dtype=torch.float32)
    for i, (ka, kb) in enumerate(OPENPOSE_LIMBS):
        dx, dy = x[kb] - x[ka], y[kb] - y[ka]
        length = torch.sqrt(dx * dx + dy * dy)
        ux = torch.where(length > 0, dx / length.clamp(min=1e-12), 1.0)
        uy = torch.where(length > 0, dy / length.clamp(min=1e-12), 0.0)
        a = (0.5 * length).clamp(min=1e-3)
        ox, oy = px - 0.5 * (x[ka] + x[kb]), py - 0.5 * (y[ka] + y[kb])      # (1, w), (h, 1)
        u, v = ox * ux + oy * uy, oy * ux - ox * uy                          # along, across: (h, w)
        k = torch.sqrt((u / a) ** 2 + (v / b) ** 2)
        g = torch.sqrt((u / (a * a)) ** 2 + (v / (b * b)) ** 2)
        d = torch.where(g > 0, (k - 1.0) * k / g.clamp(min=1e-30), -torch.minimum(a, b))
        cover = (0.5 - d).clamp(0.0, 1.0)
        cover = torch.where(visible[ka] & visible[kb], cover, 0.0)                  # (h, w)
        canvas = canvas * (1.0 - cover) + limb_rgb[i][:, None, None] * cover
    for k in range(len(KEYPOINTS)):
        ex, ey = px - x[k], py - y[k]
        cover = (joint_radius - torch.sqrt(ex * ex + ey * ey) + 0.5).clamp(0.0, 1.0)
        cover = torch.where(visible[k], cover, 0.0)
        canvas = canvas * (1.0 - cover) + joint_rgb[k][:, None, None] * cover
    canvas = canvas.unsqueeze(0)  # (1, 3, h, w)
    return canvas.to(dtype) if out is None else out.copy_(canvas)


def draw_pose_map_triton(keypoints: Tensor, size: tuple[int, int], stick_width: float, joint_radius: float,
                         min_confidence: float = 0.3, dtype: torch.dtype = torch.float16,
                         out: Tensor | None = None) -> Tensor:
    _check_keypoints(keypoints)
    h, w = size
    device = keypoints.device
    if out is None:
        out = torch.empty((1, 3, h, w), dtype=dtype, device=device)
    elif tuple(out.shape) != (1, 3, h, w):
        raise ValueError(f"out has shape {tuple(out.shape)}, expected {(1, 3, h, w)}")
    limbs = _limb_table(device)
    limb_rgb, joint_rgb = _colours(device)
    n = h * w
    block = block_size(n, device, gpu_block=256)  # 35 shapes per pixel: compute-bound, small blocks
    launchable(_pose_map_kernel, device)[(triton.cdiv(n, block),)](
        keypoints, *keypoints.stride(), limbs, limb_rgb, joint_rgb,
        out, h, w, *out.stride()[1:],
        stick_width, joint_radius, min_confidence,
        N_LIMBS=len(OPENPOSE_LIMBS), N_JOINTS=len(KEYPOINTS), BLOCK=block,
    )
    return out


def draw_pose_map(keypoints: Tensor, size: tuple[int, int], stick_width: float, joint_radius: float,
                  min_confidence: float = 0.3, dtype: torch.dtype = torch.float16, out: Tensor | None = None,
                  *, backend: str = "auto") -> Tensor:
    """(18, 3) keypoints [x_px, y_px, confidence] -> (1, 3, h, w) OpenPose image in [0, 1].

    stick_width: the limb ellipses' semi-minor axis (controlnet_aux's `stickwidth`, half the width
    at a limb's middle); joint_radius: the joint discs' radius. Both in pixels of this image."""
    tensors = [keypoints] if out is None else [keypoints, out]
    impl = draw_pose_map_triton if use_triton(backend, *tensors) else draw_pose_map_reference
    return impl(keypoints, size, stick_width, joint_radius, min_confidence, dtype, out)


_tables: dict = {}


def _limb_table(device: torch.device) -> Tensor:
    key = ("limbs", device)
    if key not in _tables:
        _tables[key] = torch.tensor(OPENPOSE_LIMBS, dtype=torch.int32, device=device)  # (17, 2)
    return _tables[key]


def _colours(device: torch.device) -> tuple[Tensor, Tensor]:
    """Limb colours (17, 3) dimmed to LIMB_INTENSITY and joint colours (18, 3), float32 in 0..1."""
    key = ("colours", device)
    if key not in _tables:
        joint = torch.tensor(OPENPOSE_COLORS, dtype=torch.float32, device=device) / 255.0
        _tables[key] = (joint[: len(OPENPOSE_LIMBS)] * LIMB_INTENSITY).contiguous(), joint
    return _tables[key]


def _check_keypoints(keypoints: Tensor) -> None:
    if tuple(keypoints.shape) != (len(KEYPOINTS), 3) or keypoints.dtype != torch.float32:
        raise ValueError(f"keypoints must be float32 (18, 3), got {keypoints.dtype} {tuple(keypoints.shape)}")
