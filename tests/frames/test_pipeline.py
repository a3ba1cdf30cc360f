"""The frame path holds only the latest frame at every boundary: overload drops, never queues."""
import threading
import time
from typing import ClassVar

import av
import numpy as np

from mirror.frames.pipeline import FramePipeline
from mirror.frames.slot import Snapshot
from mirror.render.stage import StageBase


class SlowStage(StageBase):
    """A real stage that takes a fixed time per frame (a stand-in for an expensive renderer)."""

    name: ClassVar[str] = "slow"

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def render(self, image, pose, scene):
        time.sleep(self.seconds)
        return 255 - image


class FailingStage(SlowStage):
    name: ClassVar[str] = "failing"

    def render(self, image, pose, scene):
        if image[0, 0, 0] % 2:
            raise RuntimeError("boom")
        return image


class ThreadedStage(SlowStage):
    name: ClassVar[str] = "threaded"
    own_thread: ClassVar[bool] = True

    def render(self, image, pose, scene):
        self.thread = threading.current_thread().name
        return super().render(image, pose, scene)


def video_frame(value: int = 0) -> av.VideoFrame:
    return av.VideoFrame.from_ndarray(np.full((64, 64, 3), value, np.uint8), format="rgb24")


def drain(pipeline, results, stop):
    while not stop.is_set():
        frame = pipeline.output.take(timeout=0.05)
        if frame is not None:
            results.append((frame, time.monotonic()))


def test_overload_drops_frames_and_latency_stays_flat():
    stage_time = 0.02
    pipeline = FramePipeline([SlowStage(stage_time)], Snapshot(None), size=(64, 64), pose_factory=None)
    results, stop = [], threading.Event()
    reader = threading.Thread(target=drain, args=(pipeline, results, stop))
    reader.start()
    try:
        # 10x faster than the stage can go, for 300 frames.
        for _ in range(300):
            pipeline.submit(video_frame())
            time.sleep(stage_time / 10)
        time.sleep(0.2)
    finally:
        stop.set()
        reader.join()
        pipeline.close()
    assert pipeline.input.dropped > 200  # most frames were replaced in the input slot, and counted
    latencies = [done - frame.received_at for frame, done in results]
    assert len(latencies) > 10
    # With a queue, the last frames would wait behind ~250 others (~5 s); with a slot they wait for
    # at most the frame in progress (20 ms). The bound tells the two apart on any machine: how close
    # to 20 ms they stay is the machine's speed, measured by `mirror bench pipeline`.
    assert max(latencies) < 1.0, f"a frame waited {max(latencies):.2f} s: queued behind others"


def test_a_stage_that_fails_skips_only_that_frame():
    pipeline = FramePipeline([FailingStage(0)], Snapshot(None), size=(64, 64), pose_factory=None)
    try:
        pipeline.submit(video_frame(1))  # odd pixel value: the stage raises
        failed = pipeline.output.take(timeout=5)
        pipeline.submit(video_frame(2))
        ok = pipeline.output.take(timeout=5)
    finally:
        pipeline.close()
    assert failed is not None and ok is not None
    assert pipeline.errors == 1
    assert "failing" not in failed.timings and "failing" in ok.timings


def test_output_is_yuv_ready_for_the_encoder_and_resized_to_the_mirror_size():
    pipeline = FramePipeline([SlowStage(0)], Snapshot(None), size=(32, 48), pose_factory=None)
    try:
        pipeline.submit(video_frame(10))
        frame = pipeline.output.take(timeout=5)
    finally:
        pipeline.close()
    assert frame.output.format.name == "yuv420p"
    assert (frame.output.width, frame.output.height) == (32, 48)
    assert abs(int(frame.image[0, 0, 0]) - 245) <= 1


def test_an_own_thread_stage_runs_in_its_own_worker():
    threaded = ThreadedStage(0)
    pipeline = FramePipeline([SlowStage(0), threaded], Snapshot(None), size=(64, 64), pose_factory=None)
    try:
        pipeline.submit(video_frame())
        assert pipeline.output.take(timeout=5) is not None
    finally:
        pipeline.close()
    assert threaded.thread.endswith("-1")
    assert [s.name for s in pipeline.slots] == ["input", "after_slow", "output"]


class GatedStage(SlowStage):
    """An own-thread stage that lets one frame through per `open()`: the test decides how long
    frames wait in the slot before it."""

    name: ClassVar[str] = "gated"
    own_thread: ClassVar[bool] = True

    def __init__(self) -> None:
        super().__init__(0)
        self.entered = threading.Event()
        self._gate = threading.Semaphore(0)

    def open(self) -> None:
        self._gate.release()

    def render(self, image, pose, scene):
        self.entered.set()
        assert self._gate.acquire(timeout=5)
        return image


def test_every_step_and_every_wait_in_a_slot_is_timed_on_the_frame():
    gated = GatedStage()
    pipeline = FramePipeline([SlowStage(0.01), gated], Snapshot(None), size=(64, 64), pose_factory=None)
    try:
        pipeline.submit(video_frame())
        assert gated.entered.wait(5)  # the first frame is inside the gated stage
        pipeline.submit(video_frame())
        after_slow = pipeline.slots[1]
        deadline = time.monotonic() + 5
        while after_slow.written < 2 and time.monotonic() < deadline:  # the second waits before the gate
            time.sleep(0.001)
        time.sleep(0.05)  # hold it there for 50 ms
        gated.open()
        first = pipeline.output.take(timeout=5)
        gated.open()
        second = pipeline.output.take(timeout=5)
    finally:
        pipeline.close()
    for frame in (first, second):
        assert {"from_yuv", "slow", "gated", "to_yuv", "wait_input", "wait_after_slow"} <= set(frame.timings)
        assert frame.timings["slow"] >= 0.01
    assert first.timings["gated"] >= 0.05  # held in the stage while the second frame waited
    # The second frame waited in the slot before the gated stage while the first was held there.
    assert second.timings["wait_after_slow"] >= 0.05
    assert first.seq < second.seq
