"""A render stage that crashes is restarted, and the mirror keeps showing frames meanwhile (what the
stages before it drew); every failure and restart is logged and counted."""
from __future__ import annotations

import logging
import threading
import time
from typing import ClassVar

import av
import numpy as np
import pytest

from mirror.server.metrics import Metrics
from mirror.frames.pipeline import RESTART_AFTER_FAILURES, FramePipeline
from mirror.frames.slot import Snapshot
from mirror.render import registry
from mirror.render.stage import StageBase, StageContext
from mirror.server.settings import Settings

BROKEN = threading.Event()  # set: every Crashing stage opened from now on fails each frame
OPEN_FAILS = threading.Event()  # set: opening a Crashing stage raises


class Invert(StageBase):
    """The stage in front: its output is what the mirror shows while the crashing one is away."""

    name: ClassVar[str] = "test_invert"

    def render(self, image, pose, scene):
        return 255 - image


class Crashing(StageBase):
    """Darkens every pixel by 40; an instance opened while BROKEN is set raises on every frame instead."""

    name: ClassVar[str] = "test_crashing"
    own_thread: ClassVar[bool] = True
    opened: ClassVar[list["Crashing"]] = []

    def __init__(self) -> None:
        self.broken = BROKEN.is_set()
        self.closed = False

    @classmethod
    def open(cls, context: StageContext) -> "Crashing":
        if OPEN_FAILS.is_set():
            raise RuntimeError("the model file is gone")
        stage = cls()
        cls.opened.append(stage)
        return stage

    def render(self, image, pose, scene):
        if self.broken:
            raise RuntimeError("CUDA error: an illegal memory access was encountered")
        return image - 40

    def close(self) -> None:
        self.closed = True


@pytest.fixture(autouse=True)
def registered(monkeypatch):
    monkeypatch.setitem(registry.STAGES, Invert.name, f"{__name__}:Invert")
    monkeypatch.setitem(registry.STAGES, Crashing.name, f"{__name__}:Crashing")
    BROKEN.clear()
    OPEN_FAILS.clear()
    Crashing.opened.clear()


def video_frame(value: int) -> av.VideoFrame:
    return av.VideoFrame.from_ndarray(np.full((64, 64, 3), value, np.uint8), format="rgb24")


def pipeline_with_a_crashing_stage(metrics: Metrics | None = None) -> FramePipeline:
    BROKEN.set()
    stages = [Invert(), Crashing.open(StageContext(Settings(), None))]
    BROKEN.clear()  # what the restart opens works
    return FramePipeline(stages, Snapshot(None), size=(64, 64), pose_factory=None, metrics=metrics,
                         settings=Settings(), catalog=object())


def shown(pipeline: FramePipeline, value: int) -> int:
    """Send a frame of `value` and return the value of the frame the mirror shows for it (through
    I420 and back: give or take 2)."""
    pipeline.submit(video_frame(value))
    frame = pipeline.output.take(timeout=5)
    assert frame is not None, "no frame came out"
    return int(frame.output.to_ndarray(format="rgb24")[0, 0, 0])


def until(condition, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_a_crashing_stage_is_restarted_and_frames_keep_coming_meanwhile(caplog):
    metrics = Metrics()
    pipeline = pipeline_with_a_crashing_stage(metrics)
    try:
        with caplog.at_level(logging.INFO, logger="mirror.frames.pipeline"):
            # While it crashes, every frame still comes out: as the stage before it drew it.
            during = [shown(pipeline, 10) for _ in range(RESTART_AFTER_FAILURES)]
            until(lambda: pipeline.health[1].restarts == 1)
            after = shown(pipeline, 10)
    finally:
        pipeline.close()
    assert during == pytest.approx([245] * RESTART_AFTER_FAILURES, abs=2)  # 255 - 10: the stage in front alone
    assert after == pytest.approx(205, abs=2)  # the restarted stage draws again
    health = pipeline.health[1].to_dict()
    assert health["state"] == "ok" and health["errors"] == RESTART_AFTER_FAILURES and health["restarts"] == 1
    assert "illegal memory access" in health["last_error"]
    assert Crashing.opened[0].closed and pipeline.stages[1] is Crashing.opened[1]
    logged = [r.getMessage() for r in caplog.records]
    assert any("failed 3 frames in a row" in m and "restarting" in m for m in logged)
    assert any("test_crashing restarted" in m for m in logged)
    assert metrics.stage_restarts.labels("test_crashing")._value.get() == 1


def test_a_stage_that_cannot_be_opened_again_stays_out_and_is_retried():
    pipeline = pipeline_with_a_crashing_stage()
    OPEN_FAILS.set()
    try:
        for _ in range(RESTART_AFTER_FAILURES):
            shown(pipeline, 10)
        until(lambda: pipeline.health[1].restart_failures >= 1)
        assert pipeline.health[1].state == "restarting"
        assert [shown(pipeline, 20) for _ in range(5)] == pytest.approx([235] * 5, abs=2)  # on without it
        OPEN_FAILS.clear()
        until(lambda: pipeline.health[1].state == "ok")
        assert shown(pipeline, 20) == pytest.approx(195, abs=2)
    finally:
        pipeline.close()


def test_without_settings_to_reopen_it_a_failing_stage_is_only_skipped():
    BROKEN.set()
    pipeline = FramePipeline([Invert(), Crashing()], Snapshot(None), size=(64, 64), pose_factory=None)
    try:
        frames = [shown(pipeline, 10) for _ in range(RESTART_AFTER_FAILURES + 2)]
    finally:
        pipeline.close()
    assert frames == pytest.approx([245] * len(frames), abs=2)
    assert pipeline.health[1].restarts == 0 and pipeline.health[1].errors == len(frames)


def test_closing_the_session_while_a_stage_restarts_leaves_nothing_open():
    pipeline = pipeline_with_a_crashing_stage()
    OPEN_FAILS.set()  # the restarter keeps retrying with a backoff
    for _ in range(RESTART_AFTER_FAILURES):
        shown(pipeline, 10)
    until(lambda: pipeline.health[1].restart_failures >= 1)
    started = time.monotonic()
    pipeline.close()
    assert time.monotonic() - started < 3  # the backoff wait ends with the session
    assert not any(t.is_alive() for t in pipeline._restarters)
