"""What one session has done so far: frames in and out, what was dropped, server latency.

Counted from the session's events (`FrameReceived`, `FrameSent`, `Quality`, `SceneChanged`),
mirrored on /metrics, told to the page as the answer to its ping (`Pong`), and logged when the
session closes.
"""
from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

from mirror.events import FrameReceived, FrameSent, Outbox, PingReceived, Pong, Quality, SceneChanged

if TYPE_CHECKING:
    from mirror.frames.pipeline import FramePipeline
    from mirror.server.metrics import Metrics


class SessionStats:
    def __init__(self, session: str, metrics: "Metrics", pipeline: "FramePipeline", outbox: Outbox) -> None:
        self._metrics = metrics
        self._pipeline = pipeline
        self._outbox = outbox
        self._frames_in = metrics.frames_in.labels(session)
        self._frames_out = metrics.frames_out.labels(session)
        self.frames_in = 0
        self.frames_out = 0
        self.scene_version = 0
        self.server_latency_ms: float | None = None  # moving average, shown on the page
        self.recent_latencies: deque[float] = deque(maxlen=900)  # seconds, last ~30 s at 30 fps
        outbox.subscribe(FrameReceived, self._frame_received)
        outbox.subscribe(FrameSent, self._frame_sent)
        outbox.subscribe(Quality, self._quality)
        outbox.subscribe(SceneChanged, self._scene)
        outbox.subscribe(PingReceived, self._ping)

    def report(self) -> dict:
        return {
            "frames_in": self.frames_in,
            "frames_out": self.frames_out,
            "dropped": self._pipeline.dropped(),
            "stage_errors": self._pipeline.errors,
            "scene_version": self.scene_version,
            "server_latency_ms": self.server_latency_ms,
            "stages": {stage.name: stage.status() for stage in self._pipeline.stages},
        }

    def _frame_received(self, event: FrameReceived) -> None:
        self.frames_in += 1
        self._frames_in.inc()

    def _frame_sent(self, event: FrameSent) -> None:
        frame = event.frame
        self.frames_out += 1
        self._frames_out.inc()
        latency = frame.timings["sent_at"] - frame.received_at
        self._metrics.frame_latency.observe(latency)
        self._metrics.stage_seconds.labels("wait_output").observe(frame.timings["wait_output"])
        self.recent_latencies.append(latency)
        ms = latency * 1000
        self.server_latency_ms = ms if self.server_latency_ms is None else 0.9 * self.server_latency_ms + 0.1 * ms

    def _quality(self, event: Quality) -> None:
        self._metrics.quality_steps.labels(event.direction).inc()
        self._metrics.output_height.set(event.box[1])

    def _scene(self, event: SceneChanged) -> None:
        self.scene_version = event.scene.get("version", self.scene_version)

    def _ping(self, event: PingReceived) -> None:
        self._outbox.publish(Pong(event.t, self.report()))
