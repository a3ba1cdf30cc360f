"""Frame → Pose: MediaPipe Pose keypoints (One-Euro smoothed, held through drop-outs) + person matte.

Offline only: MediaPipe 0.10's legacy `solutions` ship the full (model_complexity=1) pose model
and the selfie segmentation models in the wheel; complexity 0 and 2 would download at run time.
"""
from __future__ import annotations

import logging
import time

import numpy as np

from pose.landmarks import NUM_LANDMARKS, Pose
from pose.smoothing import OneEuroFilter

log = logging.getLogger(__name__)

# Below this visibility a keypoint counts as dropped for the frame: MediaPipe still returns a
# position for it, but that position is a guess that jumps around.
DROP_VISIBILITY = 0.3
# How long a dropped keypoint (or a whole lost person) keeps its last good position, with its
# visibility fading linearly to 0: long enough to bridge a missed frame or two, short enough that a
# prop does not hang in the air after the person left.
HOLD_S = 0.3


class PoseUnavailable(RuntimeError):
    """MediaPipe or its bundled models are missing."""


class PoseEstimator:
    """One per session, used from one worker thread (not thread-safe: MediaPipe graphs are not)."""

    def __init__(self, *, with_matte: bool = True, smoothing: bool = True) -> None:
        try:
            from mediapipe.python.solutions import pose as mp_pose
        except ImportError as exc:
            raise PoseUnavailable(
                f"mediapipe is not importable ({exc}); install mediapipe==0.10.21 (pip install -e . does)."
            ) from exc
        try:
            self._pose = mp_pose.Pose(
                model_complexity=1,
                static_image_mode=False,
                smooth_landmarks=True,
                enable_segmentation=False,
            )
            self._matte = None
            if with_matte:
                from pose.matte import PersonMatte

                self._matte = PersonMatte()
        except Exception as exc:
            raise PoseUnavailable(
                f"MediaPipe could not load its bundled pose/segmentation models ({exc}); "
                "reinstall mediapipe==0.10.21, which ships them."
            ) from exc
        self._filter = OneEuroFilter(min_cutoff_hz=1.5, beta=0.02) if smoothing else None
        # Last good (smoothed) position and visibility of every keypoint, and when it was good.
        self._held_xy = np.zeros((NUM_LANDMARKS, 2), np.float64)
        self._held_vis = np.zeros(NUM_LANDMARKS, np.float64)
        self._held_t = np.full(NUM_LANDMARKS, -np.inf)
        self._last_size: tuple[int, int] | None = None
        # Seconds spent in the last call, for metrics: {"pose": s, "matte": s}.
        self.timings: dict[str, float] = {}

    def estimate(self, rgb: np.ndarray, timestamp_s: float, *, matte: bool = True) -> Pose:
        """rgb: uint8 (H, W, 3); timestamp_s: the frame's capture time (monotonic seconds)."""
        h, w = rgb.shape[:2]
        if self._last_size != (w, h):
            self._reset()
            self._last_size = (w, h)
        rgb = np.ascontiguousarray(rgb)
        t0 = time.perf_counter()
        result = self._pose.process(rgb)
        t1 = time.perf_counter()
        self.timings["pose"] = t1 - t0

        raw = np.zeros((NUM_LANDMARKS, 3), np.float64)
        if result.pose_landmarks is not None:
            raw[:] = [(p.x * w, p.y * h, p.visibility) for p in result.pose_landmarks.landmark]
        landmarks = self._track(raw, timestamp_s)

        person_matte = None
        if matte and self._matte is not None:
            person_matte = self._matte.segment(rgb)
            self.timings["matte"] = time.perf_counter() - t1
        return Pose(landmarks, person_matte, w, h)

    def _track(self, raw: np.ndarray, t: float) -> np.ndarray:
        """Smooth the good keypoints; hold dropped ones at their last good position, fading out."""
        good = raw[:, 2] >= DROP_VISIBILITY
        if good.any():
            if self._filter is not None:
                # Filter every position so the filter state stays continuous; dropped ones are
                # replaced below. A person reappearing after a long gap restarts the filter so it
                # does not glide in from where they were.
                if not np.isfinite(self._held_t).any() or t - self._held_t.max() > HOLD_S:
                    self._filter.reset()
                xy = self._filter(raw[:, :2], t)
            else:
                xy = raw[:, :2]
            self._held_xy[good] = xy[good]
            self._held_vis[good] = raw[good, 2]
            self._held_t[good] = t

        age = t - self._held_t
        fade = np.clip(1.0 - age / HOLD_S, 0.0, 1.0)
        out = np.zeros((NUM_LANDMARKS, 3), np.float32)
        alive = fade > 0
        out[alive, :2] = self._held_xy[alive]
        out[alive, 2] = self._held_vis[alive] * fade[alive]
        return out

    def _reset(self) -> None:
        if self._filter is not None:
            self._filter.reset()
        self._held_t[:] = -np.inf
        self._held_vis[:] = 0

    def close(self) -> None:
        self._pose.close()
        if self._matte is not None:
            self._matte.close()
