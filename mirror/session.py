"""One person at the mirror: a peer connection, its frame path and its utterance path.

A frame:      browser camera → WebRTC receive (marker-bit completion) → pipeline input slot
              → pose (+ matte) → render stages → output slot → MirrorVideoTrack → browser.
An utterance: browser mic → WebRTC audio → speech.Listener (resample, VAD, whisper, own thread)
              → world edit (worker thread) → new scene snapshot (stages pick it up next frame)
              → caption + scene events on the data channel → page.
"""
from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections import deque
from typing import TYPE_CHECKING

from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError

from mirror import messages
from mirror.pipeline import Frame, FramePipeline
from mirror.render.registry import build_stages
from mirror.rtc.tracks import MirrorVideoTrack
from world import Scene

if TYPE_CHECKING:
    from aiortc import RTCDataChannel
    from aiortc.mediastreams import MediaStreamTrack

    from mirror.rtc.jitter import MarkerJitterBuffer
    from mirror.metrics import Metrics
    from mirror.services import Services
    from mirror.settings import Settings
    from speech import Utterance

log = logging.getLogger(__name__)


class Session:
    def __init__(self, settings: "Settings", services: "Services", metrics: "Metrics") -> None:
        self.id = uuid.uuid4().hex[:8]
        self.settings = settings
        self.services = services
        self.metrics = metrics
        self.scene: Scene = Scene.empty()
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.channel: "RTCDataChannel | None" = None
        self.closed = asyncio.Event()
        self._loop = asyncio.get_running_loop()
        self._tasks: set[asyncio.Task] = set()
        self._edit_lock = asyncio.Lock()
        self._listener = None
        self._pending_events: list[str] = []

        stage_set = build_stages(settings.replace(stages=services.stages), services.catalog)
        self.notices = services.notices + stage_set.notices
        pose_factory = None
        if any(s.needs_pose or s.needs_matte for s in stage_set.stages):
            from pose.estimator import PoseEstimator

            pose_factory = PoseEstimator
        self.pipeline = FramePipeline(
            stage_set.stages,
            lambda: self.scene,
            size=(settings.width, settings.height),
            pose_factory=pose_factory,
            pose_every=settings.pose_every,
            pose_thread=settings.pose_thread,
            metrics=metrics,
            session=self.id,
        )
        self.output_track = MirrorVideoTrack(self.pipeline, on_sent=self._on_frame_sent)
        self.frames_in = 0
        self.frames_out = 0
        self.server_latency_ms: float | None = None  # moving average, shown on the page
        self.recent_latencies: deque[float] = deque(maxlen=900)  # seconds, last ~30 s at 30 fps
        self.pc.on("track", self._on_track)
        self.pc.on("datachannel", self._on_datachannel)
        self.pc.on("connectionstatechange", self._on_connection_state)

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
            self.pc.addTrack(self.output_track)
            self._spawn(self._receive_video(track, buffer))
        elif track.kind == "audio" and self.services.transcriber is not None:
            from speech import Listener

            self._listener = Listener(
                self.services.transcriber,
                self._on_utterance_thread,
                on_speech_start=self._on_speech_start_thread,
                end_silence_ms=self.settings.end_silence_ms,
                max_utterance_s=self.settings.max_utterance_s,
            )
            self._spawn(self._receive_audio(track, self._listener))

    async def _receive_video(self, track: "MediaStreamTrack", buffer: "MarkerJitterBuffer | None") -> None:
        frames_in = self.metrics.frames_in.labels(self.id)
        decode = self.metrics.stage_seconds.labels("decode")
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            received_at = time.monotonic()
            self.frames_in += 1
            frames_in.inc()
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
            listener.push(frame)

    def _on_frame_sent(self, frame: Frame) -> None:
        self.frames_out += 1
        self.metrics.frames_out.labels(self.id).inc()
        latency = frame.timings["sent_at"] - frame.received_at
        self.metrics.frame_latency.observe(latency)
        self.metrics.stage_seconds.labels("wait_output").observe(frame.timings["wait_output"])
        self.recent_latencies.append(latency)
        ms = latency * 1000
        self.server_latency_ms = ms if self.server_latency_ms is None else 0.9 * self.server_latency_ms + 0.1 * ms

    # ---- utterances and commands ----
    def _on_speech_start_thread(self) -> None:
        """Called on the speech worker thread when someone starts talking: the page shows that it listens."""
        self._loop.call_soon_threadsafe(self.send, messages.event("listening"))

    def _on_utterance_thread(self, utterance: "Utterance") -> None:
        """Called on the speech worker thread."""
        self._loop.call_soon_threadsafe(lambda: self._spawn(self._on_utterance(utterance)))

    async def _on_utterance(self, utterance: "Utterance") -> None:
        self.metrics.utterances.inc()
        timings = {"transcribe_ms": round(utterance.transcribe_ms, 1)}
        if utterance.speech_end_at is not None:
            latency = time.monotonic() - utterance.speech_end_at
            self.metrics.utterance_latency.observe(latency)
            timings["speech_end_to_text_ms"] = round(latency * 1000, 1)
        self.send(messages.event("caption", text=utterance.text, source="voice", timings=timings))
        await self.apply_command(utterance.text, source="voice")

    async def apply_command(self, text: str, source: str) -> None:
        # Interpretation may run the embedding model (~10 ms): off the loop, one edit at a time.
        async with self._edit_lock:
            result = await asyncio.to_thread(self.services.interpreter.apply, self.scene, text)
            if result.changed:
                self.scene = result.scene
                self.metrics.scene_edits.inc()
        log.info("session %s: %r → %s", self.id, text, result.explain)
        self.send(messages.event("scene", source=source, **result.to_event()))

    # ---- data channel ----
    def _on_datachannel(self, channel: "RTCDataChannel") -> None:
        self.channel = channel
        channel.on("message", self._on_message)
        channel.on("open", self._flush_pending)
        if channel.readyState == "open":
            self._flush_pending()

    def _flush_pending(self) -> None:
        self.send(messages.event("hello", session=self.id, stages=[s.name for s in self.pipeline.stages],
                                 speech=self.services.transcriber is not None, scene=self.scene.to_dict()))
        for notice in self.notices:
            self.send(messages.event("notice", text=notice))
        pending, self._pending_events = self._pending_events, []
        for payload in pending:
            self.send(payload)

    def _on_message(self, raw) -> None:
        try:
            message = messages.parse_client_message(raw)
        except messages.BadMessage as exc:
            self.metrics.bad_messages.inc()
            log.warning("session %s: bad message: %s", self.id, exc)
            self.send(messages.event("error", text=str(exc)))
            return
        if isinstance(message, messages.CommandMessage):
            self.send(messages.event("caption", text=message.text, source="typed", timings={}))
            self._spawn(self.apply_command(message.text, source="typed"))
        elif isinstance(message, messages.PingMessage):
            self.send(messages.event("pong", t=message.t, stats=self.stats()))
        elif isinstance(message, messages.ClientStatsMessage):
            log.debug("session %s: client stats %s", self.id, message)

    def send(self, payload: str) -> None:
        channel = self.channel
        if channel is None or channel.readyState != "open":
            if len(self._pending_events) < 32:  # bounded: only the latest state matters to a late page
                self._pending_events.append(payload)
            return
        channel.send(payload)

    def stats(self) -> dict:
        return {
            "frames_in": self.frames_in,
            "frames_out": self.frames_out,
            "dropped": self.pipeline.dropped(),
            "stage_errors": self.pipeline.errors,
            "scene_version": self.scene.version,
            "server_latency_ms": self.server_latency_ms,
        }

    # ---- lifecycle ----
    async def _on_connection_state(self) -> None:
        state = self.pc.connectionState
        log.info("session %s: connection %s", self.id, state)
        if state in ("failed", "closed"):
            await self.close()

    def _spawn(self, coro) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("session %s: task failed", self.id, exc_info=task.exception())

    async def close(self) -> None:
        if self.closed.is_set():
            return
        self.closed.set()
        for task in list(self._tasks):
            task.cancel()
        if self._listener is not None:
            await asyncio.to_thread(self._listener.close)
        await self.pc.close()
        await asyncio.to_thread(self.pipeline.close)
        self.metrics.forget_session(self.id)
        log.info("session %s closed: %s", self.id, self.stats())
