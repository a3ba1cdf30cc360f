"""Live audio of one session → utterances, in the Listener's own worker thread.

`push()` runs on the asyncio event loop for every 20 ms audio frame, so it only resamples and
appends to a bounded buffer; VAD and whisper run in the worker. If the worker falls behind (a
client sending much faster than real time, or whisper shared by several sessions), audio beyond
`MAX_BACKLOG_S` is dropped, oldest first, and counted: memory stays bounded and the newest speech
is what gets heard. A client slower than real time needs nothing: the segmenter counts samples,
not wall time. A track that stops delivering mid-utterance (network stall, muted sender that sends
nothing) is flushed after `STALL_S` without audio, so the words already heard are not held back.

Latency: whisper costs ~200–350 ms whatever the utterance's length, and the end-of-speech silence
another 300 ms. With `speculate`, whisper starts on the utterance at the first quiet window of a
pause, 32 ms in (in a second thread, so the VAD keeps reading audio meanwhile); when the segmenter
confirms the end ~260 ms later, the readings are ready or nearly so, and they are the very readings
a decode after the end would give: the same audio, cut the same way. If the speaker goes on, the
guess is called off at once (whisper stops after the step it is in: speech/transcriber.py) and
counted as wasted, with the whisper time it took (`ListenerStats`).

`reask`, when given, is this person's: the recogniser's choice of a second prompt, which may read
their scene (whisper is asked again only where no first reading makes sense in it).
"""
from __future__ import annotations

import logging
import threading
import time
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Callable

import av
import numpy as np

from speech.audio import SAMPLE_RATE, Resampler
from speech.segmenter import Segment
from speech.stream import SpeechStream
from speech.transcriber import Heard, Reask, Transcriber
from speech.utterance import Utterance

log = logging.getLogger(__name__)

# Audio waiting for the worker: 30 s is two full utterances plus whisper's worst lag; more means
# the worker cannot keep up and old audio is worth less than new.
MAX_BACKLOG_S = 30.0
# No audio for this long while speech is in progress: the track stalled; transcribe what was heard.
# Well above a jittery client's gaps (~100 ms), so real pauses are still cut by the VAD alone.
STALL_S = 2.0


@dataclass(frozen=True)
class ListenerStats:
    received_s: float  # audio pushed, seconds at 16 kHz
    dropped_s: float  # audio discarded because the worker was behind by more than MAX_BACKLOG_S
    backlog_s: float  # audio waiting for the worker now
    utterances: int  # delivered to on_utterance
    rejected: int  # segments whisper found empty or judged noise ("you", "Thank you.")
    failed: int  # segments whose transcription raised
    stalls: int  # utterances flushed because the track stopped delivering audio
    transcribe_ms_total: float
    speculative_hits: int  # utterances whose text was decoded during the end-of-speech silence
    speculative_misses: int  # decodes started on a pause the speaker then talked through
    speculative_wasted_ms: float = 0.0  # whisper time those decodes took before they stopped


@dataclass
class _Guess:
    """A decode started on a pause: the span it heard, its future readings, how to call it off."""
    span: tuple[float, float]  # (start_s, end_s): equal spans are equal audio
    cancel: threading.Event = field(default_factory=threading.Event)
    future: Future | None = None
    ms: float = 0.0  # whisper time it took, once done


class Listener:
    """One per WebRTC session. `on_utterance` and `on_speech_start` are called from the worker
    thread; marshal to the event loop with `loop.call_soon_threadsafe`."""

    def __init__(self, transcriber: Transcriber, on_utterance: Callable[[Utterance], None], *,
                 end_silence_ms: int = 300, max_utterance_s: float = 15.0,
                 on_speech_start: Callable[[], None] | None = None, speculate: bool = True,
                 reask: Reask | None = None) -> None:
        self._transcriber = transcriber
        self._on_utterance = on_utterance
        self._on_speech_start = on_speech_start
        self._reask = reask
        self._stream = SpeechStream(end_silence_ms=end_silence_ms, max_utterance_s=max_utterance_s,
                                    on_speech_start=self._speech_started,
                                    on_pause=self._speculate if speculate else None,
                                    on_resume=self._drop_guess if speculate else None)
        # One decode ahead at most, on the utterance as cut at the pause under way.
        self._guess: _Guess | None = None
        self._guesser = ThreadPoolExecutor(1, thread_name_prefix="speech-guess") if speculate else None
        self._resampler = Resampler()
        self._chunks: deque[tuple[np.ndarray, float]] = deque()  # (16 kHz samples, monotonic time pushed)
        self._backlog = 0  # samples in _chunks
        self._cond = threading.Condition()
        self._closed = False
        self._last_push = time.monotonic()
        self._received = 0
        self._dropped = 0
        self._utterances = self._rejected = self._failed = self._stalls = 0
        self._hits = self._misses = 0
        self._transcribe_ms = self._wasted_ms = 0.0
        self._thread = threading.Thread(target=self._work, name="speech-listener", daemon=True)
        self._thread.start()

    @property
    def stats(self) -> ListenerStats:
        with self._cond:
            return ListenerStats(
                received_s=self._received / SAMPLE_RATE, dropped_s=self._dropped / SAMPLE_RATE,
                backlog_s=self._backlog / SAMPLE_RATE, utterances=self._utterances, rejected=self._rejected,
                failed=self._failed, stalls=self._stalls, transcribe_ms_total=self._transcribe_ms,
                speculative_hits=self._hits, speculative_misses=self._misses, speculative_wasted_ms=self._wasted_ms,
            )

    # ---- event loop side: cheap, never blocks on the worker ----
    def push(self, frame: av.AudioFrame) -> None:
        """One audio frame of any format, layout and rate (aiortc: s16 stereo 48 kHz, 20 ms)."""
        try:
            samples = self._resampler.convert(frame)
        except (av.error.FFmpegError, ValueError):
            # A malformed frame must not kill the session's audio task; the next one may be fine.
            log.warning("audio frame could not be resampled; skipped", exc_info=True)
            return
        if samples.size:
            self.push_samples(samples)

    def push_samples(self, samples: np.ndarray) -> None:
        """16 kHz mono float32 samples (for callers that already resampled)."""
        now = time.monotonic()
        with self._cond:
            if self._closed:
                return
            self._chunks.append((samples, now))
            self._last_push = now
            self._backlog += len(samples)
            self._received += len(samples)
            while self._backlog > MAX_BACKLOG_S * SAMPLE_RATE and len(self._chunks) > 1:
                old, _ = self._chunks.popleft()
                self._backlog -= len(old)
                self._dropped += len(old)
            self._cond.notify()

    def close(self) -> None:
        """Stop listening. Speech in progress is still transcribed and delivered before this returns
        (a track that ends mid-utterance still yields its text)."""
        with self._cond:
            self._closed = True
            self._cond.notify()
        self._thread.join(timeout=30)
        if self._thread.is_alive():
            log.warning("speech worker still busy after close()")
        if self._guesser is not None:
            self._guesser.shutdown(wait=False, cancel_futures=True)

    # ---- worker ----
    def _work(self) -> None:
        while True:
            with self._cond:
                stalled = not self._cond.wait_for(lambda: self._chunks or self._closed,
                                                  timeout=STALL_S if self._stream.in_speech else None)
                chunks = list(self._chunks)
                self._chunks.clear()
                self._backlog = 0
                closed = self._closed
                stalled = stalled and time.monotonic() - self._last_push >= STALL_S
            for samples, pushed_at in chunks:
                for segment in self._stream.feed(samples):
                    # The segmenter knew speech had ended once this chunk was pushed.
                    self._deliver(segment, pushed_at if segment.complete else None)
            if closed or stalled:
                segment = self._stream.flush()
                if segment is not None:
                    if stalled:
                        with self._cond:
                            self._stalls += 1
                        log.info("audio stalled mid-utterance; transcribing what was heard")
                    self._deliver(segment, None)
                if closed:
                    return

    def _speech_started(self) -> None:
        if self._on_speech_start is None:
            return
        try:
            self._on_speech_start()
        except Exception:
            log.exception("speech-start handler failed")

    def _speculate(self, segment: Segment) -> None:
        """A pause began: decode the utterance as it stands, while the VAD waits for the end."""
        self._drop_guess()
        guess = _Guess((segment.start_s, segment.end_s))
        guess.future = self._guesser.submit(self._hear_guess, guess, segment.audio)
        self._guess = guess

    def _hear_guess(self, guess: _Guess, audio: np.ndarray) -> Heard:
        started = time.perf_counter()
        try:
            return self._transcriber.hear(audio, reask=self._reask, cancelled=guess.cancel)
        finally:
            guess.ms = (time.perf_counter() - started) * 1000

    def _drop_guess(self) -> None:
        """The speaker went on (or the cut differs): the guess is wasted; whisper stops after its step."""
        guess, self._guess = self._guess, None
        if guess is not None:
            guess.cancel.set()
            with self._cond:
                self._misses += 1
            guess.future.add_done_callback(lambda _: self._wasted(guess.ms))  # at once if it is done

    def _wasted(self, ms: float) -> None:
        with self._cond:
            self._wasted_ms += ms

    def _transcribe(self, segment: Segment) -> Heard:
        guess = self._guess
        if guess is not None and guess.span == (segment.start_s, segment.end_s):
            self._guess = None
            with self._cond:
                self._hits += 1
            return guess.future.result()  # same audio: the guess is the answer
        self._drop_guess()
        return self._transcriber.hear(segment.audio, reask=self._reask)

    def _deliver(self, segment: Segment, speech_end_at: float | None) -> None:
        try:
            heard = self._transcribe(segment)
            text, ms = heard.text, heard.ms
        except Exception:
            log.exception("transcription failed; utterance dropped")
            with self._cond:
                self._failed += 1
            return
        with self._cond:
            self._transcribe_ms += ms
            if not text:
                self._rejected += 1
                return
            self._utterances += 1
        utterance = Utterance(text, segment.start_s, segment.end_s, speech_end_at, time.monotonic(), ms,
                              heard.hypotheses, heard.reasked, heard.encode_ms)
        try:
            self._on_utterance(utterance)
        except Exception:
            log.exception("utterance handler failed")
