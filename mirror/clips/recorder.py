"""One clip being recorded: the mirror's output frames and the session's microphone, to MP4.

    recorder = ClipRecorder(path, on_done=...)   # starts its own thread
    recorder.add_video(frame, at)                # from the output track: never blocks, bounded
    recorder.add_audio(frame, at)                # from the audio receiver: never blocks, bounded
    recorder.stop()                              # finalise; on_done(RecordingResult) from the thread

What is written is exactly what the person saw (frames after every stage, at the times they were
sent) plus what they said: H.264 yuv420p + AAC in an MP4 with the index up front ("faststart"), so
a phone plays it while it downloads. The file is written as `<name>.part` and renamed when
complete: a clip is either finished and playable or absent. If the thread falls behind, the
oldest frames are dropped and counted; the frame path never waits for the recorder. A write error
(a full disk) stops the recording, removes the partial file and reports the error.
"""
from __future__ import annotations

import errno
import logging
import threading
import time
from collections import deque
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import BinaryIO, Callable

import av
import numpy as np

log = logging.getLogger(__name__)

VIDEO_TIME_BASE = Fraction(1, 1000)  # pts in milliseconds since the recording started
AUDIO_RATE = 48_000
MAX_BUFFERED = 90  # ~3 s of video at 30 fps; beyond that the oldest item is dropped


@dataclass(frozen=True)
class RecordingResult:
    path: Path | None  # the finished MP4, or None when nothing usable was written
    frames: int
    dropped: int
    duration_s: float
    width: int
    height: int
    thumbnail: np.ndarray | None  # RGB of a frame from the second half of the clip
    error: str | None = None


class ClipRecorder:
    def __init__(self, path: Path, *, on_done: Callable[[RecordingResult], None], max_seconds: float = 15.0,
                 open_file: Callable[[Path], BinaryIO] | None = None, clock: Callable[[], float] = time.monotonic,
                 ) -> None:
        """path: where the finished clip goes (written as path + '.part' first). open_file: how the
        partial file is opened (tests pass one that fails like a full disk)."""
        self.path = path
        self.part = path.with_name(path.name + ".part")
        self.max_seconds = max_seconds
        self._on_done = on_done
        self._open_file = open_file or (lambda p: open(p, "w+b"))
        self._clock = clock
        self.started_at = clock()
        self.dropped = 0
        self._items: deque[tuple[str, object, float]] = deque()
        self._cond = threading.Condition()
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name=f"recorder-{path.stem[:8]}", daemon=True)
        self._thread.start()

    # ---- called from the session (event loop): O(1), never blocks on I/O ----
    def add_video(self, frame: av.VideoFrame, at: float) -> None:
        self._add("video", frame, at)

    def add_audio(self, frame: av.AudioFrame, at: float) -> None:
        # Copied now (20 ms of sound, a few kB): the frame is shared with the speech listener.
        copy = av.AudioFrame.from_ndarray(frame.to_ndarray(), format=frame.format.name, layout=frame.layout.name)
        copy.sample_rate = frame.sample_rate
        self._add("audio", copy, at)

    def seconds_left(self) -> float:
        return max(0.0, self.max_seconds - (self._clock() - self.started_at))

    def stop(self) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify()

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def _add(self, kind: str, frame: object, at: float) -> None:
        with self._cond:
            if self._stopping:
                return
            if len(self._items) >= MAX_BUFFERED:
                self._items.popleft()
                self.dropped += 1
            self._items.append((kind, frame, at))
            self._cond.notify()

    # ---- the recorder's thread ----
    def _run(self) -> None:
        writer: _Mp4Writer | None = None
        try:
            while True:
                with self._cond:
                    while not self._items and not self._stopping:
                        self._cond.wait(timeout=max(0.01, self.seconds_left()))
                        if self.seconds_left() <= 0:
                            self._stopping = True
                    items, self._items = list(self._items), deque()
                    stopping = self._stopping
                for kind, frame, at in items:
                    t = at - self.started_at
                    if t < 0 or t > self.max_seconds:
                        continue
                    if kind == "video":
                        if writer is None:
                            writer = _Mp4Writer(self._open_file(self.part), frame.width, frame.height)
                        writer.video(frame, t)
                    elif writer is not None:  # audio before the first frame has no picture to go with
                        writer.audio(frame, t)
                if stopping:
                    break
            result = self._finish(writer)
        except Exception as exc:
            result = self._fail(writer, exc)
        self._on_done(result)

    def _finish(self, writer: "_Mp4Writer | None") -> RecordingResult:
        if writer is None or writer.frames == 0:
            if writer is not None:
                writer.abort()
            self.part.unlink(missing_ok=True)
            return RecordingResult(None, 0, self.dropped, 0.0, 0, 0, None, "no frames were recorded")
        writer.close()
        self.part.replace(self.path)  # atomic: the clip appears whole or not at all
        log.info("clip %s: %d frames, %.1f s, %d dropped", self.path.name, writer.frames, writer.duration_s,
                 self.dropped)
        return RecordingResult(self.path, writer.frames, self.dropped, writer.duration_s, writer.width,
                               writer.height, writer.thumbnail)

    def _fail(self, writer: "_Mp4Writer | None", exc: Exception) -> RecordingResult:
        if writer is not None:
            writer.abort()
        self.part.unlink(missing_ok=True)
        if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
            reason = "the disk is full"
        else:
            reason = f"{type(exc).__name__}: {exc}"
        log.error("clip %s failed and was removed: %s", self.path.name, reason)
        return RecordingResult(None, 0, self.dropped, 0.0, 0, 0, None, f"The recording stopped: {reason}.")


class _Mp4Writer:
    """PyAV muxing: H.264 (libx264, ultrafast) + AAC into MP4 with the index at the front.
    One x264 thread: ~1 ms a 640×480 frame here, and no pool of threads competing with the live
    mirror for two cores."""

    def __init__(self, file: BinaryIO, width: int, height: int) -> None:
        self.file = file
        self.width, self.height = width, height
        self.container = av.open(file, mode="w", format="mp4", options={"movflags": "+faststart"})
        self.vstream = self.container.add_stream("libx264", rate=30, options={"preset": "ultrafast", "tune": "zerolatency", "threads": "1"})
        self.vstream.width, self.vstream.height = width, height
        self.vstream.pix_fmt = "yuv420p"
        self.vstream.codec_context.time_base = VIDEO_TIME_BASE
        self.astream = self.container.add_stream("aac", rate=AUDIO_RATE, layout="mono")
        self.resampler = av.AudioResampler(format="fltp", layout="mono", rate=AUDIO_RATE)
        self.fifo = av.AudioFifo()
        self.frames = 0
        self.duration_s = 0.0
        self._last_pts = -1
        self._audio_samples = 0
        self._audio_start: float | None = None
        self._thumb_frame: av.VideoFrame | None = None

    def video(self, frame: av.VideoFrame, t: float) -> None:
        if (frame.width, frame.height) != (self.width, self.height) or frame.format.name != "yuv420p":
            frame = frame.reformat(width=self.width, height=self.height, format="yuv420p")
        # A fresh frame: the one given is shared with the live encoder, whose pts must stay its own.
        planes = frame.to_ndarray()
        copy = av.VideoFrame.from_ndarray(planes, format="yuv420p")
        pts = max(int(t * 1000), self._last_pts + 1)
        self._last_pts = pts
        copy.pts, copy.time_base = pts, VIDEO_TIME_BASE
        for packet in self.vstream.encode(copy):
            self.container.mux(packet)
        self.frames += 1
        self.duration_s = pts / 1000
        if self.frames & (self.frames - 1) == 0:  # at powers of two: the frame kept is from the 2nd half
            self._thumb_frame = copy

    def audio(self, frame: av.AudioFrame, t: float) -> None:
        if self._audio_start is None:
            # Silence from the first video frame to the first sound keeps the two in step.
            self._audio_start = t
            gap = int(t * AUDIO_RATE)
            if gap > 0:
                self._write_audio(av.AudioFrame.from_ndarray(np.zeros((1, gap), np.float32), format="fltp",
                                                             layout="mono"))
        frame.pts = None
        for converted in self.resampler.resample(frame):
            self._write_audio(converted)

    def _write_audio(self, frame: av.AudioFrame) -> None:
        frame.sample_rate = AUDIO_RATE
        frame.pts = None
        self.fifo.write(frame)
        size = self.astream.codec_context.frame_size or 1024
        while self.fifo.samples >= size:
            chunk = self.fifo.read(size)
            chunk.pts = self._audio_samples
            chunk.time_base = Fraction(1, AUDIO_RATE)
            self._audio_samples += chunk.samples
            for packet in self.astream.encode(chunk):
                self.container.mux(packet)

    @property
    def thumbnail(self) -> np.ndarray | None:
        return self._thumb_frame.to_ndarray(format="rgb24") if self._thumb_frame is not None else None

    def close(self) -> None:
        for packet in self.vstream.encode(None):
            self.container.mux(packet)
        for packet in self.astream.encode(None):
            self.container.mux(packet)
        self.container.close()
        self.file.close()

    def abort(self) -> None:
        for closing in (self.container.close, self.file.close):
            try:
                closing()
            except Exception:  # already failing: what matters is that the partial file goes
                pass
