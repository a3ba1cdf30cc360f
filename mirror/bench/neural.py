"""Measurements of the neural repaint stage, used by `mirror bench composite` when it runs neural."""
from __future__ import annotations

import itertools
import threading
import time

import av
import cv2
import numpy as np

from mirror.bench.report import percentile_ms
from mirror.testclip import astronaut


def jittery_clip(count: int = 40, width: int = 640, height: int = 480, seed: int = 0) -> list[np.ndarray]:
    """The photo nearly still: ±1 px of sway and sensor noise (σ = 2 levels), as a webcam sees a
    person standing still. A stable repaint should change about as little as its input does."""
    rng = np.random.default_rng(seed)
    photo = cv2.resize(astronaut(), (height, height), interpolation=cv2.INTER_AREA)
    base = np.full((height, width, 3), 128, np.uint8)
    x0 = (width - height) // 2
    base[:, x0:x0 + height] = photo
    frames = []
    for _ in range(count):
        dx, dy = rng.integers(-1, 2, size=2)
        m = np.float32([[1, 0, dx], [0, 1, dy]])
        moved = cv2.warpAffine(base, m, (width, height), borderMode=cv2.BORDER_REPLICATE)
        noisy = moved.astype(np.float32) + rng.normal(0, 2.0, moved.shape)
        frames.append(np.clip(noisy, 0, 255).astype(np.uint8))
    return frames


def flicker_with_and_without_stabilisation(settings, catalog, scene) -> tuple[float, float]:
    from mirror.neural import NeuralRepaint
    from mirror.neural.stabilizer import flicker_score

    inputs = jittery_clip()
    scores = []
    for stabilize in (False, True):
        # A clock that jumps a second per frame: the style's 0.5 s fade-in is over after one frame.
        stage = NeuralRepaint(settings.replace(neural_stabilize=stabilize), catalog, clock=itertools.count().__next__)
        outputs = [stage.render(frame, None, scene) for frame in inputs]
        scores.append(flicker_score(inputs[5:], outputs[5:]))  # after the stabiliser has settled
    return scores[0], scores[1]


def pipeline_rate(stages, scene, frames: list[np.ndarray], pose_factory, pose_every: int, seconds: float = 6.0) -> dict:
    """The real FramePipeline (its threads, its slots), fed unpaced: whole-frame fps and latency."""
    from mirror.pipeline import FramePipeline

    video = [av.VideoFrame.from_ndarray(f, format="rgb24").reformat(format="yuv420p") for f in frames]
    h, w = frames[0].shape[:2]
    pipeline = FramePipeline(stages, lambda: scene, size=(w, h), pose_factory=pose_factory, pose_every=pose_every)
    latencies: list[float] = []
    stop = threading.Event()

    def drain() -> None:
        while not stop.is_set():
            frame = pipeline.output.take(timeout=0.05)
            if frame is not None:
                latencies.append(time.monotonic() - frame.received_at)

    try:
        pipeline.submit(video[0])
        pipeline.output.take(timeout=30)  # warm-up frame
        reader = threading.Thread(target=drain)
        reader.start()
        started, i = time.monotonic(), 0
        while time.monotonic() - started < seconds:
            pipeline.submit(video[i % len(video)])
            i += 1
            time.sleep(1 / 60)  # a 60 fps camera: always a fresh frame waiting
        elapsed = time.monotonic() - started
        stop.set()
        reader.join()
    finally:
        pipeline.close()
    return {"fps": len(latencies) / elapsed, "p50": percentile_ms(latencies, 50), "p95": percentile_ms(latencies, 95)}
