"""One person at the mirror: a peer connection, its frame path and its utterance path.

A frame:      browser camera → WebRTC receive (marker-bit completion) → pipeline input slot
              → pose (+ matte) → render stages → output slot → MirrorVideoTrack → browser.
An utterance: browser mic → WebRTC audio → speech.Listener (resample, VAD, whisper, own thread)
              → SceneController: world edit (worker thread) → new scene snapshot (stages pick it
              up next frame) → caption + scene events on the data channel → page.

This module holds the peer connection and its tracks; the utterance path is mirror/scene_control.py
and the counters are mirror/stats.py. A session is built only for an offer that passed
mirror/sdp_check.py, holds a place under the cap (mirror/admission.py) until `close()` has freed
everything it made, and lives by the deadlines of mirror/lifetime.py.
"""
from __future__ import annotations

import asyncio
import logging
import time
import uuid
from typing import TYPE_CHECKING

from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError

from mirror import messages
from mirror.frames import quality
from mirror.server.lifetime import SessionClock
from mirror.server.log_limit import limit_repeats
from mirror.frames.pipeline import Frame, FramePipeline
from mirror.session.presence import KioskPresence
from mirror.server.rate_limit import TokenBucket
from mirror.clips.recording import RecordingControl
from mirror.rtc.tracks import MirrorVideoTrack
from mirror.session.scene_control import SceneController
from mirror.session.stats import SessionStats

if TYPE_CHECKING:
    from aiortc.mediastreams import MediaStreamTrack

    from mirror.server.admission import Reservation
    from mirror.server.metrics import Metrics
    from mirror.rtc.jitter import MarkerJitterBuffer
    from mirror.server.services import Services
    from mirror.server.settings import Settings
    from world import Scene

log = limit_repeats(logging.getLogger(__name__))

PC_CLOSE_TIMEOUT_S = 10.0  # aiortc's close waits on its transports; a stuck one must not hold the rest


class Session:
    def __init__(self, settings: "Settings", services: "Services", metrics: "Metrics",
                 reservation: "Reservation | None" = None) -> None:
        self.id = uuid.uuid4().hex[:8]
        self.settings = settings
        self.services = services
        self.metrics = metrics
        self.clock = SessionClock(started_at=time.monotonic())
        self._reservation = reservation  # given back when everything below is freed
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.closed = asyncio.Event()  # close() has begun: no new work
        self.gone = asyncio.Event()  # close() has finished: threads, listener, decoders, place freed
        self.close_reason: str | None = None
        self._tasks: set[asyncio.Task] = set()
        self._listener = None
        self._receiving_video = self._receiving_audio = False
        self.stats = SessionStats(self.id, metrics)
        self.control = SceneController(self.id, services, metrics, spawn=self._spawn, hello=self._hello,
                                       stats=self.stats_dict, on_action=self._on_action,
                                       message_limit=TokenBucket(settings.message_rate_per_s, settings.message_burst))
        self.recording = RecordingControl(self.id, settings, services.clips, metrics, self.control.send)
        # A kiosk heeds only the person in front of it and forgets each visitor's scene (mirror/presence.py).
        self.kiosk = KioskPresence(settings, self.control, metrics, spawn=self._spawn) if settings.kiosk else None
        if self.kiosk is not None:
            self.control.accepts_commands = self.kiosk.allows_commands
            self._spawn(self.kiosk.run())

        stages = services.plan.open(settings, services.catalog)
        pose_factory = None
        if settings.kiosk or any(s.needs.pose or s.needs.matte for s in stages):
            from pose.estimator import PoseEstimator

            pose_factory = PoseEstimator
        self.pipeline = FramePipeline(
            stages,
            lambda: self.control.scene,
            quality=quality.for_settings(settings, on_change=self._on_quality_change),
            pose_factory=pose_factory,
            pose_every=settings.pose_every,
            pose_thread=settings.pose_thread,
            metrics=metrics,
            session=self.id,
            need_pose=settings.kiosk,
            settings=settings,  # a broken stage is opened again with these
            catalog=services.catalog,
        )
        self.output_track = MirrorVideoTrack(self.pipeline, on_sent=self._on_frame_sent)
        self.pc.on("track", self._on_track)
        self.pc.on("datachannel", self.control.attach)
        self.pc.on("connectionstatechange", self._on_connection_state)

    @property
    def scene(self) -> "Scene":
        return self.control.scene

    # ---- signalling ----
    async def accept(self, offer: messages.Offer) -> messages.Answer:
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=offer.sdp, type=offer.type))
        if not any(t.kind == "video" for t in self.pc.getTransceivers()):
            raise ValueError("the offer carries no video; the mirror needs a camera track")
        await self.pc.setLocalDescription(await self.pc.createAnswer())
        local = self.pc.localDescription
        return messages.Answer(sdp=local.sdp, session=self.id)

    # ---- media in ----
    def _on_track(self, track: "MediaStreamTrack") -> None:
        log.info("session %s: %s track", self.id, track.kind)
        if track.kind == "video":
            buffer = None
            if self.settings.rtp_marker_completion:
                from mirror.rtc.jitter import enable_marker_completion, marker_buffer

                receiver = next(t.receiver for t in self.pc.getTransceivers() if t.receiver.track is track)
                enable_marker_completion(receiver)
                buffer = marker_buffer(receiver)
            if self._receiving_video:  # the SDP check allows one camera; never two output tracks
                log.warning("session %s: a second video track ignored", self.id)
                return
            self._receiving_video = True
            self.pc.addTrack(self.output_track)
            self._spawn(self._receive_video(track, buffer))
        elif track.kind == "audio":
            if self._receiving_audio:  # one speech listener per session, whatever the offer said
                log.warning("session %s: a second audio track ignored", self.id)
                return
            self._receiving_audio = True
            if self.services.transcriber is not None:
                from speech import Listener

                self._listener = Listener(
                    self.services.transcriber,
                    self.control.on_utterance,
                    on_speech_start=self.control.on_speech_start,
                    end_silence_ms=self.settings.end_silence_ms,
                    max_utterance_s=self.settings.max_utterance_s,
                )
            self._spawn(self._receive_audio(track, self._listener))

    async def _receive_video(self, track: "MediaStreamTrack", buffer: "MarkerJitterBuffer | None") -> None:
        decode = self.metrics.stage_seconds.labels("decode")
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            received_at = time.monotonic()
            self.clock.last_media_at = received_at
            self.stats.frame_received()
            if buffer is not None and frame.pts is not None:
                # Complete frame out of the jitter buffer → decoded frame here: aiortc's decoder
                # thread and the hop back to the event loop.
                released = buffer.released_at(frame.pts)
                if released is not None:
                    decode.observe(received_at - released)
            self.pipeline.submit(frame, received_at)

    async def _receive_audio(self, track: "MediaStreamTrack", listener) -> None:
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            if listener is not None:
                listener.push(frame)
            self.recording.audio(frame, time.monotonic())

    # ---- media out ----
    def _on_frame_sent(self, frame: Frame) -> None:
        self.stats.frame_sent(frame)
        self.recording.video(frame.output, frame.timings["sent_at"])
        if self.kiosk is not None:
            self.kiosk.frame(frame.pose, frame.timings["sent_at"])

    def _on_quality_change(self, box: tuple[int, int], direction: str) -> None:
        """Called on the pipeline's output worker when the output size steps down or up. The page
        is told, and sends its camera at that size: encoding 720p for a 640×360 mirror would cost
        the browser's CPU (on a laptop, the same cores) for nothing."""
        self.metrics.quality_steps.labels(direction).inc()
        self.metrics.output_height.set(box[1])
        self.control.send_from_thread(messages.event("quality", box=list(box), direction=direction))

    def _on_action(self, action: str) -> None:
        from world.actions import RECORD_START, RECORD_STOP

        if action == RECORD_START:
            self.recording.start()
        elif action == RECORD_STOP:
            self.recording.stop()

    # ---- what the page is told ----
    def _hello(self) -> dict:
        return {"session": self.id, "stages": [s.name for s in self.pipeline.stages],
                "speech": self.services.transcriber is not None, "scene": self.control.scene.to_dict(),
                **(self.kiosk.hello() if self.kiosk is not None else {})}

    def stats_dict(self) -> dict:
        return {
            "frames_in": self.stats.frames_in,
            "frames_out": self.stats.frames_out,
            "dropped": self.pipeline.dropped(),
            "stage_errors": self.pipeline.errors,
            "scene_version": self.control.scene.version,
            "server_latency_ms": self.stats.server_latency_ms,
            "stages": {stage.name: stage.status() for stage in self.pipeline.stages},
        }

    # ---- lifecycle ----
    async def _on_connection_state(self) -> None:
        state = self.pc.connectionState
        log.info("session %s: connection %s", self.id, state)
        if state == "connected" and self.clock.connected_at is None:
            self.clock.connected_at = time.monotonic()
        elif state == "failed":
            # ICE fails when consent to send expires (RFC 7675): the peer stopped answering.
            await self.close("ice_failed" if self.pc.iceConnectionState == "failed" else "connection_failed")
        elif state == "closed":
            await self.close("connection_closed")

    def _spawn(self, coro) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("session %s: task failed", self.id, exc_info=task.exception())

    async def close(self, reason: str = "closed") -> None:
        """Free everything this session made, each step on its own (one failing does not keep the
        others), then give its place back."""
        if self.closed.is_set():
            return
        self.closed.set()
        self.close_reason = reason
        self.clock.closing_at = time.monotonic()
        self.metrics.sessions_closed.labels(reason).inc()
        try:
            for task in list(self._tasks):
                task.cancel()
            if self._listener is not None:
                await self._quietly("speech listener", asyncio.to_thread(self._listener.close))
            await self._quietly("recording", self.recording.close())
            await self._quietly("peer connection", asyncio.wait_for(self.pc.close(), PC_CLOSE_TIMEOUT_S))
            await self._quietly("frame pipeline", asyncio.to_thread(self.pipeline.close))
            self.metrics.forget_session(self.id)
            log.info("session %s closed: %s, %s", self.id, reason, self.stats_dict())
        finally:
            self._free()

    def abandon(self) -> None:
        """Stop counting a session whose close() is stuck (the reaper's last resort)."""
        self._free()

    def _free(self) -> None:
        if self.gone.is_set():
            return
        if self._reservation is not None:
            self._reservation.release()
        self.metrics.session_seconds.observe(time.monotonic() - self.clock.started_at)
        self.gone.set()

    async def _quietly(self, what: str, step) -> None:
        try:
            await step
        except Exception:
            log.exception("session %s: closing the %s failed", self.id, what)
