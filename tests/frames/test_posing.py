"""Pose beside the frame path: frames take the newest finished pose and never wait for one (after
the first), with the real mediapipe estimator and with a deliberately slow one."""
from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from mirror.frames.posing import InlinePose, PoseThread
from tests.camera_clip import clip_frames
from pose import Pose
from pose.estimator import PoseEstimator
from pose.landmarks import Landmark


class SlowEstimator:
    """Takes `seconds` per frame and stamps the pose with the frame's time (in landmark 0's x)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.threads: set[str] = set()
        self.calls = 0

    def estimate(self, image, at, matte=False):
        self.threads.add(threading.current_thread().name)
        self.calls += 1
        time.sleep(self.seconds)
        landmarks = np.zeros((33, 3), np.float32)
        landmarks[0] = (at, 0, 1)
        h, w = image.shape[:2]
        return Pose(landmarks, None, w, h)

    def close(self):
        pass


def test_frames_after_the_first_never_wait_for_a_slow_pose():
    estimator = SlowEstimator(0.08)
    source = PoseThread(lambda: estimator, every=1, matte=False)
    image = np.zeros((48, 64, 3), np.uint8)
    try:
        started = time.perf_counter()
        first = source.pose_for(image, 0.0)
        assert first is not None and first.landmarks[0, 0] == 0.0  # the first frame waited for its own pose
        assert time.perf_counter() - started >= 0.07
        waits, stamps = [], []
        for i in range(1, 20):
            t0 = time.perf_counter()
            pose = source.pose_for(image, float(i))
            waits.append(time.perf_counter() - t0)
            stamps.append(pose.landmarks[0, 0])
            time.sleep(0.02)  # a 50 fps camera: faster than pose
    finally:
        source.close()
    assert max(waits) < 0.04  # a wait for its own pose would take the estimator's 80 ms
    assert stamps == sorted(stamps)  # poses only move forward
    assert stamps[-1] >= 10  # and keep up with the camera: the newest frame offered, not a backlog
    assert source.dropped > 0  # frames pose could not get to were replaced, not queued
    assert estimator.threads == {"mirror-pose"}


def test_every_nth_frame_is_offered():
    estimator = SlowEstimator(0.0)
    source = PoseThread(lambda: estimator, every=3, matte=False)
    image = np.zeros((48, 64, 3), np.uint8)
    try:
        for i in range(9):
            source.pose_for(image, float(i))
    finally:
        source.close()  # a frame still in the slot is estimated before the worker stops
    # Frames 0, 3 and 6 were offered: each was either estimated or replaced by a newer one.
    assert estimator.calls + source.dropped == 3 and estimator.calls >= 1


def test_a_pose_for_another_frame_size_is_not_used():
    source = PoseThread(lambda: SlowEstimator(0.0), every=1, matte=False)
    try:
        assert source.pose_for(np.zeros((48, 64, 3), np.uint8), 0.0) is not None
        assert source.pose_for(np.zeros((96, 128, 3), np.uint8), 1.0) is None
    finally:
        source.close()


def test_an_estimator_that_cannot_start_leaves_frames_without_pose_and_without_waiting():
    def broken():
        raise RuntimeError("no model")

    source = PoseThread(broken, every=1, matte=False, first_wait=5.0)
    image = np.zeros((48, 64, 3), np.uint8)
    try:
        started = time.perf_counter()
        assert source.pose_for(image, 0.0) is None
        assert source.pose_for(image, 1.0) is None
        assert time.perf_counter() - started < 2.0
    finally:
        source.close()


def test_inline_pose_runs_on_every_nth_frame_itself():
    estimator = SlowEstimator(0.0)
    source = InlinePose(lambda: estimator, every=2, matte=False)
    image = np.zeros((48, 64, 3), np.uint8)
    stamps = [source.pose_for(image, float(i)).landmarks[0, 0] for i in range(6)]
    assert stamps == [0, 0, 2, 2, 4, 4]


NOSE_IN_PHOTO = np.array([222.0, 128.0])  # where the astronaut's nose is in the 512×512 photo


@pytest.mark.parametrize("thread", [True, False])
def test_real_pose_on_the_moving_clip_follows_the_face(thread):
    """With the real estimator at camera pace, the pose a frame gets is at most a frame or two
    behind it: the nose stays near where the clip's known motion puts it."""
    frames = list(clip_frames(30, 640, 480))
    source = (PoseThread if thread else InlinePose)(PoseEstimator, 1, True)
    errors = []
    try:
        for i, clip in enumerate(frames):
            pose = source.pose_for(clip.image, i / 30)
            time.sleep(1 / 30)
            if i >= 5:
                assert pose is not None and pose.found and pose.matte is not None
                errors.append(np.linalg.norm(pose.point(Landmark.NOSE) - clip.to_frame(NOSE_IN_PHOTO)))
    finally:
        source.close()
    assert np.median(errors) < 15 and max(errors) < 25  # a pose held from the clip's start: median 30, max 34
