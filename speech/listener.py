"""Live audio of one session → utterances, in the Listener's own worker thread.

`push()` runs on the asyncio event loop for every 20 ms audio frame, so it only resamples and
appends to a bounded buffer; VAD and whisper run in the worker. If the worker falls behind (a
client sending much faster than real time), audio beyond `MAX_BACKLOG_S` is dropped, oldest first,
and counted: memory stays bounded and the newest speech is what gets heard.
"""
from __future__ import annotations

import logging
import threading
import time
from collections import deque
from typing import Callable

import av
import numpy as np

from speech.audio import SAMPLE_RATE, Resampler
from speech.stream import SpeechStream
from speech.transcriber import Transcriber
from speech.utterance import Utterance

log = logging.getLogger(__name__)

MAX_BACKLOG_S = 30.0


class Listener:
    def __init__(self, transcriber: Transcriber, on_utterance: Callable[[Utterance], None], *,
                 end_silence_ms: int = 300, max_utterance_s: float = 15.0) -> None:
        self._transcriber = transcriber
        self._on_utterance = on_utterance
        self._stream = SpeechStream(end_silence_ms=end_silence_ms, max_utterance_s=max_utterance_s)
        self._resampler = Resampler()
        self._chunks: deque[tuple[np.ndarray, float]] = deque()  # (samples, monotonic time pushed)
        self._backlog = 0
        self._cond = threading.Condition()
        self._closed = False
        self.dropped_s = 0.0
        self.utterances = 0
        self.received_s = 0.0
        self._thread = threading.Thread(target=self._work, name="speech-listener", daemon=True)
        self._thread.start()

    # ---- event loop side ----
    def push(self, frame: av.AudioFrame) -> None:
        samples = self._resampler.convert(frame)
        if samples.size == 0:
            return
        self.push_samples(samples)

    def push_samples(self, samples: np.ndarray) -> None:
        with self._cond:
            if self._closed:
                return
            self._chunks.append((samples, time.monotonic()))
            self._backlog += len(samples)
            self.received_s += len(samples) / SAMPLE_RATE
            while self._backlog > MAX_BACKLOG_S * SAMPLE_RATE and len(self._chunks) > 1:
                old, _ = self._chunks.popleft()
                self._backlog -= len(old)
                self.dropped_s += len(old) / SAMPLE_RATE
            self._cond.notify()

    def close(self) -> None:
        """Stop listening; speech in progress is still transcribed and delivered."""
        with self._cond:
            self._closed = True
            self._cond.notify()
        self._thread.join(timeout=10)

    # ---- worker ----
    def _work(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._chunks or self._closed)
                chunks = list(self._chunks)
                self._chunks.clear()
                self._backlog = 0
                closed = self._closed
            for samples, pushed_at in chunks:
                for segment in self._stream.feed(samples):
                    # The segmenter knew speech had ended once this chunk arrived.
                    self._deliver(segment, pushed_at if segment.complete else None)
            if closed:
                segment = self._stream.flush()
                if segment is not None:
                    self._deliver(segment, None)
                return

    def _deliver(self, segment, speech_end_at: float | None) -> None:
        try:
            text, ms = self._transcriber.transcribe(segment.audio)
        except Exception:
            log.exception("transcription failed; utterance dropped")
            return
        if not text:
            return
        self.utterances += 1
        utterance = Utterance(text, segment.start_s, segment.end_s, speech_end_at, ms)
        try:
            self._on_utterance(utterance)
        except Exception:
            log.exception("utterance handler failed")
