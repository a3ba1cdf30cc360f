"""The outgoing video track: sends each rendered frame as soon as it is ready.

Event-driven, not clocked: aiortc's sender awaits `recv()`, which returns the moment the pipeline
puts a frame in its output slot, so a finished frame never waits for the next tick of a 30 fps
timer (up to 33 ms). Timestamps come from each frame's receive time, so the browser sees the
camera's own cadence, and they are kept strictly increasing.
"""
from __future__ import annotations

import time
from typing import TYPE_CHECKING, Callable

from aiortc.mediastreams import VIDEO_CLOCK_RATE, VIDEO_TIME_BASE, MediaStreamError, MediaStreamTrack

from mirror.frames.slot import SlotClosed

if TYPE_CHECKING:
    from mirror.frames.pipeline import Frame, FramePipeline


class MirrorVideoTrack(MediaStreamTrack):
    kind = "video"

    def __init__(self, pipeline: "FramePipeline", on_sent: Callable[["Frame"], None] | None = None) -> None:
        super().__init__()
        self._pipeline = pipeline
        self._on_sent = on_sent
        self._epoch: float | None = None
        self._last_pts = -1

    async def recv(self):
        if self.readyState != "live":
            raise MediaStreamError
        try:
            frame = await self._pipeline.output.take_async()
        except SlotClosed:
            self.stop()
            raise MediaStreamError from None
        if self._epoch is None:
            self._epoch = frame.received_at
        pts = int((frame.received_at - self._epoch) * VIDEO_CLOCK_RATE)
        pts = max(pts, self._last_pts + 1)
        self._last_pts = pts
        video = frame.output
        video.pts = pts
        video.time_base = VIDEO_TIME_BASE
        frame.waited("output")
        frame.timings["sent_at"] = time.monotonic()
        if self._on_sent:
            self._on_sent(frame)
        return video
