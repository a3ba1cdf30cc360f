"""One person's peer connection: their camera into the frame path, their microphone to whoever
listens, the mirror back to them.

    camera track → receive (completed on the RTP marker bit: mirror/rtc/jitter.py) → frame path's input slot
    mic track    → each audio sink (the speech listener, the clip recorder), on the event loop
    frame path's output slot → MirrorVideoTrack → browser

It keeps the session's clock (admitted, connected, last camera frame: what mirror/server/lifetime.py
reaps by) and publishes `FrameReceived` per camera frame and `PeerEnded` when the connection fails
or closes. Nothing here blocks the loop: decoding is aiortc's thread, the rest is hand-over.
"""
from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING, Callable, Sequence

from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError

from mirror import messages
from mirror.events import FrameReceived, Outbox, PeerEnded
from mirror.rtc.tracks import MirrorVideoTrack
from mirror.server.lifetime import SessionClock
from mirror.server.log_limit import limit_repeats
from mirror.tasks import Tasks

if TYPE_CHECKING:
    import av
    from aiortc.mediastreams import MediaStreamTrack

    from mirror.frames.pipeline import FramePipeline
    from mirror.rtc.jitter import MarkerJitterBuffer
    from mirror.server.metrics import Metrics
    from mirror.server.settings import Settings

log = limit_repeats(logging.getLogger(__name__))

PC_CLOSE_TIMEOUT_S = 10.0  # aiortc's close waits on its transports; a stuck one must not hold the rest

AudioSink = Callable[["av.AudioFrame", float], None]  # (frame, time.monotonic() it arrived)


class PeerMedia:
    def __init__(self, session: str, settings: "Settings", metrics: "Metrics", pipeline: "FramePipeline",
                 outbox: Outbox, audio_sinks: Sequence[AudioSink] = ()) -> None:
        self._session = session
        self._settings = settings
        self._metrics = metrics
        self._pipeline = pipeline
        self._outbox = outbox
        self._audio_sinks = tuple(audio_sinks)
        self.clock = SessionClock(started_at=time.monotonic())
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.output_track = MirrorVideoTrack(pipeline.output, outbox.publish)
        self._tasks = Tasks(f"session {session}: media")
        self._receiving_video = self._receiving_audio = False
        self.pc.on("track", self._on_track)
        self.pc.on("connectionstatechange", self._on_connection_state)

    async def accept(self, offer: messages.Offer) -> messages.Answer:
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=offer.sdp, type=offer.type))
        if not any(t.kind == "video" for t in self.pc.getTransceivers()):
            raise ValueError("the offer carries no video; the mirror needs a camera track")
        await self.pc.setLocalDescription(await self.pc.createAnswer())
        return messages.Answer(sdp=self.pc.localDescription.sdp, session=self._session)

    async def close(self) -> None:
        self._tasks.cancel()
        await asyncio.wait_for(self.pc.close(), PC_CLOSE_TIMEOUT_S)

    # ---- media in ----
    def _on_track(self, track: "MediaStreamTrack") -> None:
        log.info("session %s: %s track", self._session, track.kind)
        if track.kind == "video":
            buffer = None
            if self._settings.rtp_marker_completion:
                from mirror.rtc.jitter import enable_marker_completion, marker_buffer

                receiver = next(t.receiver for t in self.pc.getTransceivers() if t.receiver.track is track)
                enable_marker_completion(receiver)
                buffer = marker_buffer(receiver)
            if self._receiving_video:  # the SDP check allows one camera; never two output tracks
                log.warning("session %s: a second video track ignored", self._session)
                return
            self._receiving_video = True
            self.pc.addTrack(self.output_track)
            self._tasks.spawn(self._receive_video(track, buffer))
        elif track.kind == "audio":
            if self._receiving_audio:  # one speech listener per session, whatever the offer said
                log.warning("session %s: a second audio track ignored", self._session)
                return
            self._receiving_audio = True
            self._tasks.spawn(self._receive_audio(track))

    async def _receive_video(self, track: "MediaStreamTrack", buffer: "MarkerJitterBuffer | None") -> None:
        decode = self._metrics.stage_seconds.labels("decode")
        async for frame in _frames_of(track):
            received_at = time.monotonic()
            self.clock.last_media_at = received_at
            self._outbox.publish(FrameReceived(received_at))
            if buffer is not None and frame.pts is not None:
                # Complete frame out of the jitter buffer → decoded frame here: aiortc's decoder
                # thread and the hop back to the event loop.
                released = buffer.released_at(frame.pts)
                if released is not None:
                    decode.observe(received_at - released)
            self._pipeline.submit(frame, received_at)

    async def _receive_audio(self, track: "MediaStreamTrack") -> None:
        async for frame in _frames_of(track):
            at = time.monotonic()
            for sink in self._audio_sinks:
                sink(frame, at)

    # ---- the connection ----
    async def _on_connection_state(self) -> None:
        state = self.pc.connectionState
        log.info("session %s: connection %s", self._session, state)
        if state == "connected" and self.clock.connected_at is None:
            self.clock.connected_at = time.monotonic()
        elif state == "failed":
            # ICE fails when consent to send expires (RFC 7675): the peer stopped answering.
            self._outbox.publish(PeerEnded("ice_failed" if self.pc.iceConnectionState == "failed"
                                           else "connection_failed"))
        elif state == "closed":
            self._outbox.publish(PeerEnded("connection_closed"))


async def _frames_of(track: "MediaStreamTrack"):
    """Each frame the track delivers, until it ends."""
    while True:
        try:
            yield await track.recv()
        except MediaStreamError:
            return
