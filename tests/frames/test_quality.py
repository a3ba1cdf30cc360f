"""HD when the machine holds it: the output size steps down when frames run over the budget and
back up when there is room, and every step shows on /metrics."""
from __future__ import annotations

import threading
import time
from typing import ClassVar

import av
import numpy as np
import pytest
from prometheus_client import generate_latest

from mirror.events import Quality
from mirror.server.metrics import Metrics
from mirror.frames.pipeline import FramePipeline
from mirror.frames.slot import Snapshot
from mirror.frames.quality import AdaptiveQuality, fit, ladder
from mirror.render.stage import StageBase
from mirror.server.settings import Settings
from world import Scene

HD, QHD, VGA = (1280, 720), (960, 540), (640, 480)
# The loaded-machine test runs a quarter of HD's pixels: the frame path's own conversions stay far
# under the budget even on a busy CI box, so what moves the size is the load the test adds.
TOP, MIDDLE, LOW = (640, 360), (480, 270), (320, 180)


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


@pytest.mark.parametrize("camera, box, size", [
    ((1280, 720), HD, (1280, 720)),
    ((1920, 1080), HD, (1280, 720)),
    ((1280, 720), QHD, (960, 540)),
    ((640, 480), HD, (640, 480)),  # never upscaled
    ((1280, 960), HD, (960, 720)),
    ((1283, 723), QHD, (958, 540)),  # even sides for I420
])
def test_the_output_is_the_camera_fitted_into_the_box(camera, box, size):
    assert fit(camera, box) == size


@pytest.mark.parametrize("camera, size", [((480, 360), (640, 480)), ((320, 180), (640, 360)), ((1280, 720), (1280, 720))])
def test_a_camera_the_browser_shrank_under_load_still_gets_a_mirror_of_the_floor_size(camera, size):
    assert AdaptiveQuality([HD, QHD, VGA], budget_s=1 / 30).size_for(camera) == size


def test_the_ladder_runs_from_hd_through_960x540_to_the_floor():
    assert ladder(Settings.load(environ={})) == [HD, QHD, VGA]
    assert ladder(Settings.load({"max_width": 640, "max_height": 480}, environ={})) == [VGA]


def run_frames(quality, clock, busy_s, seconds):
    for _ in range(int(seconds * 30)):
        clock.now += 1 / 30
        quality.observe(busy_s)


def test_over_budget_steps_down_and_room_steps_back_up():
    clock, steps = Clock(), []
    quality = AdaptiveQuality([HD, QHD, VGA], budget_s=1 / 30, clock=clock, publish=lambda e: steps.append(e.direction))
    run_frames(quality, clock, 0.020, 5)
    assert quality.level == 0 and steps == []  # 20 ms a frame: HD holds
    run_frames(quality, clock, 0.045, 1.5)
    assert quality.level == 1 and steps == ["down"]  # over the 33 ms budget: down one step, not two at once
    run_frames(quality, clock, 0.045, 2.5)
    assert quality.level == 2 and steps == ["down", "down"]
    run_frames(quality, clock, 0.010, 10)
    assert quality.level == 0 and steps == ["down", "down", "up", "up"]


def test_no_step_up_when_the_bigger_size_would_not_fit():
    clock = Clock()
    quality = AdaptiveQuality([HD, QHD], budget_s=1 / 30, clock=clock)
    quality.level = 1
    run_frames(quality, clock, 0.020, 20)  # 20 ms × 1.78 (HD's pixels) = 36 ms: over the budget at HD
    assert quality.level == 1


class PixelCost(StageBase):
    """Real CPU work in proportion to the frame's pixels, `load` times over: a machine getting busier."""

    name: ClassVar[str] = "pixel_cost"
    load = 0.0

    def render(self, image, pose, scene):
        out = np.ascontiguousarray(255 - image)
        for _ in range(int(self.load)):
            out = np.ascontiguousarray(255 - out)
        time.sleep(self.load * image.shape[0] * image.shape[1] / (TOP[0] * TOP[1]) * 0.012)
        return out


def test_a_loaded_machine_steps_the_size_down_and_back_up_and_says_so():
    steps: list[Quality] = []  # what the page and /metrics are told (mirror/session/stats.py)
    stage = PixelCost()
    quality = AdaptiveQuality([TOP, MIDDLE, LOW], budget_s=1 / 30, publish=steps.append)
    pipeline = FramePipeline([stage], Snapshot(Scene.empty()), quality=quality, pose_factory=None)
    camera = av.VideoFrame.from_ndarray(np.full((360, 640, 3), 90, np.uint8), format="rgb24").reformat(format="yuv420p")
    sizes: list[tuple[int, int]] = []
    stop = threading.Event()

    def drain():
        while not stop.is_set():
            frame = pipeline.output.take(timeout=0.05)
            if frame is not None:
                sizes.append(frame.image.shape[1::-1])

    reader = threading.Thread(target=drain)
    reader.start()

    def feed(seconds, until=lambda: False):
        end = time.monotonic() + seconds
        while time.monotonic() < end and not until():
            pipeline.submit(camera)
            time.sleep(1 / 30)

    try:
        feed(1.0)
        assert sizes and sizes[-1] == TOP
        stage.load = 4.0  # ~50 ms at the top size: over the 33 ms budget
        feed(10, until=lambda: sizes[-1] != TOP)
        stepped_down = sizes[-1]
        stage.load = 0.0
        feed(20, until=lambda: sizes[-1] == TOP)
    finally:
        stop.set()
        reader.join()
        pipeline.close()
    assert stepped_down in (MIDDLE, LOW)
    assert sizes[-1] == TOP
    assert [s.direction for s in steps].count("down") >= 1 and [s.direction for s in steps].count("up") >= 1
    assert steps[-1] == Quality(box=list(TOP), direction="up")


def test_a_mirror_down_to_a_few_frames_a_second_still_steps_down():
    clock = Clock()
    quality = AdaptiveQuality([HD, QHD, VGA], budget_s=1 / 30, clock=clock)
    for _ in range(8):  # 2 fps: never ten frames inside a second
        clock.now += 0.5
        quality.observe(0.4)
    assert quality.level == 1


def test_every_size_the_mirror_renders_at_is_on_metrics_with_what_changed_it():
    from mirror.render.passthrough import Passthrough

    metrics = Metrics()
    quality = AdaptiveQuality([HD, QHD, VGA], budget_s=1 / 30, adaptive=False)
    pipeline = FramePipeline([Passthrough()], Snapshot(Scene.empty()), quality=quality, pose_factory=None, metrics=metrics,
                             session="s1")

    def render(camera):
        pipeline.submit(av.VideoFrame.from_ndarray(np.zeros((camera[1], camera[0], 3), np.uint8), format="rgb24"))
        frame = pipeline.output.take(timeout=10)
        rendered = (metrics.render_width.labels("s1")._value.get(), metrics.render_height.labels("s1")._value.get())
        assert frame.image.shape[1::-1] == rendered
        return rendered

    def changes(cause):
        return metrics.render_size_changes.labels(cause)._value.get()

    try:
        assert render(HD) == HD
        assert render((640, 360)) == (640, 360)  # the browser shrank what it sends: no step of the loop
        assert (changes("camera"), changes("quality")) == (1, 0)
        quality._step(+1, "down", 0.0)
        assert render(HD) == QHD  # the loop stepped down
        assert (changes("camera"), changes("quality")) == (1, 1)
    finally:
        pipeline.close()
    metrics.forget_session("s1")  # a closed session's size is not left behind on /metrics
    assert 'session="s1"' not in generate_latest(metrics.registry).decode()
