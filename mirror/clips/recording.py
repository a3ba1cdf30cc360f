"""A session's recording, from "start recording" to the clip on the page.

    idle ─start→ countdown (3-2-1 on the page, the mirror stays live) ─→ recording ─stop / max length→
    saving (the recorder finalises the MP4 in its thread) ─→ idle + a "clip" event (or a "failed" one)

"start recording" and "stop recording" come as `ActionAsked` events; the frames recorded are the
ones the output track sends (`FrameSent`, after every stage) and the audio is the session's
microphone (`audio`, from the peer's receive loop); both reach the recorder without waiting
(mirror/clips/recorder.py). The clip's metadata is written by the recorder's thread as soon as the
file is final, so a session that ends mid-recording (the person walked away, the server got
SIGTERM) still leaves a finished clip. What the page is told goes out as events, the recorder
thread's own through the outbox too.
"""
from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from mirror.clips.recorder import ClipRecorder, RecordingResult
from mirror.events import ActionAsked, ClipReady, FrameSent, Notice, Outbox, Recording
from world.actions import RECORD_START, RECORD_STOP

if TYPE_CHECKING:
    import av

    from mirror.clips.store import ClipStore
    from mirror.server.metrics import Metrics
    from mirror.server.settings import Settings

log = logging.getLogger(__name__)


class RecordingControl:
    def __init__(self, session: str, settings: "Settings", store: "ClipStore", metrics: "Metrics",
                 outbox: Outbox) -> None:
        self.session = session
        self.state = "idle"
        self._settings = settings
        self._store = store
        self._metrics = metrics
        self._outbox = outbox
        self._countdown: asyncio.Task | None = None
        self._recorder: ClipRecorder | None = None
        outbox.subscribe(ActionAsked, self._asked)
        outbox.subscribe(FrameSent, self._frame_sent)
        # The recorder's thread says it is done with the event the page gets: then this is idle again.
        outbox.subscribe(ClipReady, self._idle)
        outbox.subscribe(Recording, lambda event: self._idle(event) if event.state == "failed" else None)

    def _asked(self, event: ActionAsked) -> None:
        if event.action == RECORD_START:
            self.start()
        elif event.action == RECORD_STOP:
            self.stop()

    # ---- commands (on the event loop) ----
    def start(self) -> None:
        if self.state != "idle":
            self._outbox.publish(Notice(f"Already {self.state}."))
            return
        self.state = "countdown"
        self._outbox.publish(Recording("countdown", seconds=self._settings.clip_countdown_s))
        self._countdown = asyncio.ensure_future(self._after_countdown())

    async def _after_countdown(self) -> None:
        await asyncio.sleep(self._settings.clip_countdown_s)
        clip_id, secret = self._store.new_id(), self._store.new_secret()
        self._recorder = ClipRecorder(
            self._store.video_path(clip_id), max_seconds=self._settings.clip_max_seconds,
            on_done=lambda result: self._finished(clip_id, secret, result))
        self.state = "recording"
        self._outbox.publish(Recording("recording", max_seconds=self._settings.clip_max_seconds))
        log.info("session %s: recording clip %s", self.session, clip_id)

    def stop(self) -> None:
        if self.state == "countdown" and self._countdown is not None:
            self._countdown.cancel()
            self.state = "idle"
            self._outbox.publish(Recording("idle"))
        elif self.state == "recording" and self._recorder is not None:
            self.state = "saving"
            self._recorder.stop()
            self._outbox.publish(Recording("saving"))

    # ---- media (on the event loop; never blocks) ----
    def _frame_sent(self, event: FrameSent) -> None:
        if self._recorder is not None:
            self._recorder.add_video(event.frame.output, event.frame.timings["sent_at"])

    def audio(self, frame: "av.AudioFrame", at: float) -> None:
        if self._recorder is not None:
            self._recorder.add_audio(frame, at)

    def recording_now(self) -> set[str]:
        """Ids of clips being written (their partial files are not leftovers)."""
        return {self._recorder.path.stem} if self._recorder is not None and self._recorder.running else set()

    # ---- the recorder's thread ----
    def _finished(self, clip_id: str, secret: str, result: RecordingResult) -> None:
        dropped = self._metrics.recorder_frames_dropped
        dropped.inc(result.dropped)
        if result.path is not None:
            clip = self._store.add(clip_id, secret, duration_s=result.duration_s, width=result.width,
                                   height=result.height, thumbnail=result.thumbnail)
            self._metrics.clips.labels("saved").inc()
            done = ClipReady(id=clip.id, url=f"/clips/{clip.id}.mp4", page=f"/c/{clip.id}",
                             qr=f"/clips/{clip.id}/qr.svg", thumbnail=f"/clips/{clip.id}.jpg", secret=secret,
                             duration_s=round(clip.duration_s, 2))
        else:
            self._metrics.clips.labels("failed").inc()
            done = Recording("failed", text=result.error)
        self._outbox.publish(done)  # after a shutdown nobody is left to tell; the clip is saved all the same

    def _idle(self, event) -> None:
        self._recorder = None
        self.state = "idle"

    async def close(self) -> None:
        """The session ends: a countdown is dropped, a recording is finished and saved."""
        if self._countdown is not None:
            self._countdown.cancel()
        recorder = self._recorder
        if recorder is not None:
            recorder.stop()
            await asyncio.to_thread(recorder.join, 30)
