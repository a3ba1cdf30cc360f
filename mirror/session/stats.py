"""What one session has done so far: frames in and out, what was dropped, server latency.

Shown to the page (pong events), logged when the session closes, and mirrored on /metrics.
"""
from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mirror.server.metrics import Metrics
    from mirror.frames.pipeline import Frame


class SessionStats:
    def __init__(self, session: str, metrics: "Metrics") -> None:
        self._metrics = metrics
        self._frames_in = metrics.frames_in.labels(session)
        self._frames_out = metrics.frames_out.labels(session)
        self.frames_in = 0
        self.frames_out = 0
        self.server_latency_ms: float | None = None  # moving average, shown on the page
        self.recent_latencies: deque[float] = deque(maxlen=900)  # seconds, last ~30 s at 30 fps

    def frame_received(self) -> None:
        self.frames_in += 1
        self._frames_in.inc()

    def frame_sent(self, frame: "Frame") -> None:
        self.frames_out += 1
        self._frames_out.inc()
        latency = frame.timings["sent_at"] - frame.received_at
        self._metrics.frame_latency.observe(latency)
        self._metrics.stage_seconds.labels("wait_output").observe(frame.timings["wait_output"])
        self.recent_latencies.append(latency)
        ms = latency * 1000
        self.server_latency_ms = ms if self.server_latency_ms is None else 0.9 * self.server_latency_ms + 0.1 * ms
