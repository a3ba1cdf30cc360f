"""The outgoing video track: sends each rendered frame as soon as it is ready.

Event-driven, not clocked: aiortc's sender awaits `recv()`, which returns the moment the pipeline
puts a frame in its output slot, so a finished frame never waits for the next tick of a 30 fps
timer (up to 33 ms). Timestamps come from each frame's receive time, so the browser sees the
camera's own cadence, and they are kept strictly increasing. Each frame sent is published
(`FrameSent`): the stats, the recorder and the kiosk's presence take it from there.
"""
from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Callable

from aiortc.mediastreams import VIDEO_CLOCK_RATE, VIDEO_TIME_BASE, MediaStreamError, MediaStreamTrack

from mirror.events import Event, FrameSent
from mirror.frames.slot import SlotClosed

if TYPE_CHECKING:
    from mirror.frames.pipeline import Frame
    from mirror.frames.slot import LatestSlot


class MirrorVideoTrack(MediaStreamTrack):
    kind = "video"

    def __init__(self, frames: "LatestSlot[Frame]", publish: Callable[[Event], None] | None = None) -> None:
        """frames: the frame path's output slot; publish: where each frame sent is told."""
        super().__init__()
        self._frames = frames
        self._publish = publish
        self._epoch: float | None = None
        self._last_pts = -1

    async def recv(self):
        if self.readyState != "live":
            raise MediaStreamError
        try:
            frame = await self._frames.take_async(asyncio.get_running_loop())
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
        if self._publish is not None:
            self._publish(FrameSent(frame))
        return video
