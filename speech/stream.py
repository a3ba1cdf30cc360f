"""The one path from 16 kHz samples to speech segments, shared by live audio and files:
fixed 512-sample windows → Silero VAD → Segmenter."""
from __future__ import annotations

from typing import Callable

import numpy as np

from speech.segmenter import Segment, Segmenter
from speech.vad import WINDOW, StreamingVad


class SpeechStream:
    def __init__(self, *, end_silence_ms: int = 300, max_utterance_s: float = 15.0, vad: StreamingVad | None = None,
                 on_speech_start: Callable[[], None] | None = None,
                 on_pause: Callable[[Segment], None] | None = None,
                 on_resume: Callable[[], None] | None = None) -> None:
        self._vad = vad or StreamingVad()
        self._segmenter = Segmenter(end_silence_ms, max_utterance_s, on_speech_start=on_speech_start,
                                    on_pause=on_pause, on_resume=on_resume)
        self._pending = np.zeros(0, np.float32)

    @property
    def in_speech(self) -> bool:
        return self._segmenter.in_speech

    def feed(self, samples: np.ndarray) -> list[Segment]:
        samples = np.concatenate([self._pending, samples]) if self._pending.size else samples
        whole = len(samples) // WINDOW * WINDOW
        self._pending = samples[whole:].copy()
        segments = []
        for offset in range(0, whole, WINDOW):
            window = samples[offset:offset + WINDOW]
            segment = self._segmenter.push(window, self._vad(window))
            if segment is not None:
                segments.append(segment)
        return segments

    def flush(self) -> Segment | None:
        """The audio stopped: speech in progress becomes a segment (complete=False)."""
        return self._segmenter.flush()
