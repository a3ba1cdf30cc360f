"""One person at the mirror: the parts that live as long as they do, wired together by events.

A frame:      browser camera → PeerMedia (marker-bit receive) → the frame path's input slot
              → pose (+ matte) → render stages, reading the scene snapshot → output slot
              → MirrorVideoTrack → browser; FrameSent → stats, recorder, kiosk presence.
An utterance: browser mic → PeerMedia → speech Listener (VAD, whisper, re-asked; its own thread)
              → UtteranceHeard → Commands: world edit (worker thread) → the new scene snapshot
              + Caption, SceneChanged on the outbox → PageChannel → page.

Each part gets its inputs here and talks only through the session's `Outbox`; adding a per-person
feature is one module and one line below. `open()` builds what is heavy (the frame path's threads
and stages, the listener's VAD) in a worker thread, so the event loop never waits for a newcomer.
A session holds a place under the cap (mirror/server/admission.py) until `close()` has freed
everything it made, and lives by the deadlines of mirror/server/lifetime.py.
"""
from __future__ import annotations

import asyncio
import logging
import time
import uuid
from typing import TYPE_CHECKING

from mirror.clips.recording import RecordingControl
from mirror.events import Outbox, PeerEnded
from mirror.frames.pipeline import FramePipeline
from mirror.rtc.peer import PeerMedia
from mirror.session.commands import Commands
from mirror.session.page import Greeting, PageChannel
from mirror.session.presence import KioskPresence
from mirror.session.stats import SessionStats

if TYPE_CHECKING:
    from mirror import messages
    from mirror.server.admission import Reservation
    from mirror.server.metrics import Metrics
    from mirror.server.services import Services
    from mirror.server.settings import Settings
    from speech import Listener
    from world import Scene

log = logging.getLogger(__name__)


class Session:
    @classmethod
    async def open(cls, settings: "Settings", services: "Services", metrics: "Metrics",
                   reservation: "Reservation | None" = None) -> "Session":
        """The person's frame path and ears are built in a worker thread; the rest is cheap."""
        session = uuid.uuid4().hex[:8]
        outbox = Outbox(asyncio.get_running_loop(), session)

        def heavy() -> tuple[FramePipeline, "Listener | None"]:
            pipeline = FramePipeline.for_session(session, settings, services, metrics, outbox.publish)
            try:
                return pipeline, services.open_listener(settings, outbox.publish, lambda: pipeline.scene.value)
            except BaseException:
                pipeline.close()
                raise

        pipeline, listener = await asyncio.to_thread(heavy)
        try:
            return cls(session, outbox, settings, services, metrics, pipeline, listener, reservation)
        except BaseException:
            await asyncio.to_thread(lambda: (pipeline.close(), listener and listener.close()))
            raise

    def __init__(self, session: str, outbox: Outbox, settings: "Settings", services: "Services",
                 metrics: "Metrics", pipeline: FramePipeline, listener: "Listener | None",
                 reservation: "Reservation | None") -> None:
        self.id, self.outbox, self.metrics, self.pipeline, self._listener = session, outbox, metrics, pipeline, listener
        self._reservation = reservation  # given back when everything below is freed
        self.closed = asyncio.Event()  # close() has begun: no new work
        self.gone = asyncio.Event()  # close() has finished: threads, listener, decoders, place freed
        self.close_reason: str | None = None
        stage_names = [s.name for s in pipeline.stages]
        self.page = PageChannel(Greeting(session, stage_names, listener is not None, pipeline.scene.value.to_dict(),
                                         kiosk=settings.kiosk, notices=tuple(services.plan.notices)),
                                settings, outbox, metrics)
        self.commands = Commands(session, services, metrics, outbox, pipeline.scene, kiosk=settings.kiosk,
                                 did_you_mean_s=settings.did_you_mean_s)
        self.stats = SessionStats(session, metrics, pipeline, outbox)
        self.recording = RecordingControl(session, settings, services.clips, metrics, outbox)
        self.kiosk = KioskPresence(session, settings, outbox, metrics) if settings.kiosk else None
        sinks = [self.recording.audio] + ([lambda frame, at: listener.push(frame)] if listener else [])
        self.peer = PeerMedia(session, settings, metrics, pipeline, outbox, sinks)
        self.peer.pc.on("datachannel", self.page.attach)
        outbox.subscribe(PeerEnded, lambda event: asyncio.ensure_future(self.close(event.reason)))

    @property
    def scene(self) -> "Scene":
        return self.commands.scene

    @property
    def clock(self):
        return self.peer.clock

    @property
    def pc(self):
        return self.peer.pc

    async def accept(self, offer: "messages.Offer") -> "messages.Answer":
        return await self.peer.accept(offer)

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
            self.commands.close()
            if self.kiosk is not None:
                self.kiosk.close()
            if self._listener is not None:
                await self._quietly("speech listener", asyncio.to_thread(self._listener.close))
            await self._quietly("recording", self.recording.close())
            await self._quietly("peer connection", self.peer.close())
            await self._quietly("frame pipeline", asyncio.to_thread(self.pipeline.close))
            self.outbox.close()
            self.metrics.forget_session(self.id)
            log.info("session %s closed: %s, %s", self.id, reason, self.stats.report())
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
