"""Pose (+ person matte) for the frame path: inline, or in its own thread beside it.

Pose and segmentation cost ~25 ms a frame on this CPU, the biggest step of the composite mirror.
Two ways to give a frame its pose:

- `InlinePose`: the frame waits for pose on its own pixels (every `every`-th frame; the frames in
  between reuse the last result). Exact, but every pose run sits on the glass-to-glass path.
- `PoseThread` (the default, `Settings.pose_thread`): every `every`-th frame is offered to a pose
  worker through a latest-frame slot, and each frame takes the newest *finished* pose without
  waiting. The person's pixels are always the current frame's; the props and the matte edge follow
  the body one pose run (~1 frame) later, which is what the inline mode does on its reused frames
  anyway. Pose then runs on the second core while the renderer draws, and no frame waits for it.
  Only the very first frame waits (up to `first_wait` s), so the mirror never starts without a pose.

Both are used from the pipeline's first worker thread; the estimator is created in the thread that
runs it (mediapipe graphs are per-thread).
"""
from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING, Callable, Protocol

import cv2
import numpy as np

from mirror.frames.slot import LatestSlot, SlotClosed

if TYPE_CHECKING:
    from pose import Pose

log = logging.getLogger(__name__)

# Called with ("pose", seconds) for every pose run, from whichever thread ran it.
Observe = Callable[[str, float], None]

# Pose and matte run at most this wide: an HD frame is shrunk for them and the keypoints and matte
# scaled back, so their cost stays that of 640×480 whatever the output size.
POSE_WIDTH = 640


def estimate(estimator, image: np.ndarray, at: float, matte: bool) -> "Pose":
    """The estimator's pose for `image`, run at POSE_WIDTH at most, in `image`'s pixels."""
    from pose import Pose

    h, w = image.shape[:2]
    if w <= POSE_WIDTH:
        return estimator.estimate(image, at, matte=matte)
    small = cv2.resize(image, (POSE_WIDTH, round(h * POSE_WIDTH / w) // 2 * 2), interpolation=cv2.INTER_AREA)
    pose = estimator.estimate(small, at, matte=matte)
    landmarks = pose.landmarks.copy()
    landmarks[:, 0] *= w / small.shape[1]
    landmarks[:, 1] *= h / small.shape[0]
    full_matte = None if pose.matte is None else cv2.resize(pose.matte, (w, h), interpolation=cv2.INTER_LINEAR)
    return Pose(landmarks, full_matte, w, h)


class PoseSource(Protocol):
    def pose_for(self, image: np.ndarray, at: float) -> "Pose | None":
        """The pose to draw this frame with (`at`: when it was received, time.monotonic())."""

    def close(self) -> None: ...


class InlinePose:
    """Runs pose on the frame itself, every `every`-th frame; frames in between reuse the last result."""

    def __init__(self, estimator_factory: Callable[[], object], every: int, matte: bool,
                 observe: Observe | None = None) -> None:
        self._factory = estimator_factory
        self._estimator = None
        self._every = max(1, every)
        self._matte = matte
        self._observe = observe
        self._count = 0
        self._last: "Pose | None" = None

    def pose_for(self, image: np.ndarray, at: float) -> "Pose":
        if self._estimator is None:
            self._estimator = self._factory()
        h, w = image.shape[:2]
        if self._last is None or self._count % self._every == 0 or (self._last.width, self._last.height) != (w, h):
            started = time.perf_counter()
            self._last = estimate(self._estimator, image, at, self._matte)
            if self._observe:
                self._observe("pose", time.perf_counter() - started)
        self._count += 1
        return self._last

    def close(self) -> None:
        if self._estimator is not None:
            self._estimator.close()


class PoseThread:
    """Pose in its own worker: frames are offered (every `every`-th), the newest result is taken."""

    def __init__(self, estimator_factory: Callable[[], object], every: int, matte: bool,
                 observe: Observe | None = None, *, first_wait: float = 2.0) -> None:
        self._factory = estimator_factory
        self._every = max(1, every)
        self._matte = matte
        self._observe = observe
        self._first_wait = first_wait
        self._count = 0
        self._inbox: LatestSlot[tuple[np.ndarray, float]] = LatestSlot("pose")
        self._lock = threading.Lock()
        self._latest: "Pose | None" = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._work, name="mirror-pose", daemon=True)
        self._thread.start()

    @property
    def dropped(self) -> int:
        """Frames offered to pose that a newer frame replaced before pose got to them."""
        return self._inbox.dropped

    def pose_for(self, image: np.ndarray, at: float) -> "Pose | None":
        if self._count % self._every == 0:
            # The image is shared, not copied: stages never write into their input (mirror/render/stage.py).
            self._inbox.put((image, at))
        self._count += 1
        if not self._ready.is_set():
            self._ready.wait(self._first_wait)
        with self._lock:
            latest = self._latest
        h, w = image.shape[:2]
        if latest is not None and (latest.width, latest.height) != (w, h):
            return None  # the frame size changed: a pose for other pixels would be drawn in the wrong place
        return latest

    def close(self) -> None:
        self._inbox.close()
        self._thread.join(timeout=5)

    def _work(self) -> None:
        estimator = None
        try:
            while True:
                try:
                    item = self._inbox.take(timeout=0.5)
                except SlotClosed:
                    return
                if item is None:
                    continue
                image, at = item
                if estimator is None:
                    try:
                        estimator = self._factory()
                    except Exception:
                        log.exception("the pose estimator could not be created; frames go on without pose")
                        return
                started = time.perf_counter()
                try:
                    pose = estimate(estimator, image, at, self._matte)
                except Exception:
                    log.exception("pose failed on a frame; the previous pose stays")
                    continue
                finally:
                    self._ready.set()  # after the first attempt, frames never wait again
                if self._observe:
                    self._observe("pose", time.perf_counter() - started)
                with self._lock:
                    self._latest = pose
        finally:
            self._ready.set()
            if estimator is not None:
                estimator.close()
