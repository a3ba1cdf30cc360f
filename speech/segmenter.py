"""Cuts a stream of VAD-scored windows into utterances.

An utterance starts when a window is confidently speech and ends after `end_silence_ms` of
windows below the end threshold (hysteresis: starting needs more confidence than continuing).
~200 ms of audio before the onset is kept, since the VAD fires a little late on soft consonants.
Blips shorter than `min_speech_ms` are dropped; utterances are cut at `max_utterance_s`.

`on_pause` offers the segment as it would be cut if the silence just begun were the end, as soon as
the kept tail is complete (the first silent window, 32 ms into the silence): the live path starts
whisper then, and the remaining ~260 ms of the end-silence wait overlap with decoding. If the speaker
goes on, `on_resume` says so at once (the tentative result is discarded), and the next cut differs
(a different end).
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Callable

import numpy as np

from speech.audio import SAMPLE_RATE
from speech.vad import WINDOW

START_THRESHOLD = 0.5
END_THRESHOLD = 0.35
PRE_ROLL_MS = 200
# Speech that reaches the length cap is cut at its quietest window within the last second, so the
# cut falls between words where it can, not through one; the rest starts the next utterance.
CAP_SEARCH_MS = 1000
# Silence kept after the speech: one VAD window. Silero's probability falls below END_THRESHOLD only
# after a word's last sound has faded, so the first quiet window already holds its end; a longer tail
# only delays the moment a pause's decode can start. On the tuning clips (tools/bench/speech_tuning.py
# in four noises, 144 commands) one window understood 127, three windows (100 ms, the old tail) 126.
TAIL_MS = 32


@dataclass
class Segment:
    audio: np.ndarray  # 16 kHz mono float32
    start_s: float
    end_s: float
    complete: bool  # False: cut at the length cap or by the stream ending


class Segmenter:
    def __init__(self, end_silence_ms: int = 300, max_utterance_s: float = 15.0, min_speech_ms: int = 200,
                 on_speech_start: Callable[[], None] | None = None,
                 on_pause: Callable[[Segment], None] | None = None,
                 on_resume: Callable[[], None] | None = None) -> None:
        # Fired once per utterance when its speech has lasted `min_speech_ms`: a click or a cough
        # shorter than that never raises it, so a "listening…" cue does not flicker on noise.
        self._on_speech_start = on_speech_start
        self._on_pause = on_pause
        self._on_resume = on_resume  # speech went on after a pause was offered
        self._paused = False
        self._end_windows = max(1, round(end_silence_ms * SAMPLE_RATE / 1000 / WINDOW))
        self._max_windows = max(1, round(max_utterance_s * SAMPLE_RATE / WINDOW))
        self._min_speech_windows = max(1, round(min_speech_ms * SAMPLE_RATE / 1000 / WINDOW))
        self._pre_roll: deque[np.ndarray] = deque(maxlen=max(1, round(PRE_ROLL_MS * SAMPLE_RATE / 1000 / WINDOW)))
        self._tail_windows = round(TAIL_MS * SAMPLE_RATE / 1000 / WINDOW)
        self._cap_search = max(1, round(CAP_SEARCH_MS * SAMPLE_RATE / 1000 / WINDOW))
        self._windows: list[np.ndarray] = []
        self._probabilities: list[float] = []  # one per window of the utterance in progress
        self._speech_windows = 0
        self._silent_run = 0
        self._position = 0  # windows seen so far
        self._start = 0

    @property
    def in_speech(self) -> bool:
        return bool(self._windows)

    def push(self, window: np.ndarray, probability: float) -> Segment | None:
        """Feed one 512-sample window and its speech probability; returns a finished segment or None."""
        self._position += 1
        if not self._windows:
            if probability >= START_THRESHOLD:
                self._start = self._position - 1 - len(self._pre_roll)
                self._windows = [*self._pre_roll, window]
                self._probabilities = [0.0] * len(self._pre_roll) + [probability]
                self._speech_windows, self._silent_run = 1, 0
                self._pre_roll.clear()
            else:
                self._pre_roll.append(window)
            return None
        self._windows.append(window)
        self._probabilities.append(probability)
        if probability >= END_THRESHOLD:
            self._speech_windows += 1
            self._silent_run = 0
            if self._paused:
                self._paused = False
                if self._on_resume is not None:
                    self._on_resume()
            if self._speech_windows == self._min_speech_windows and self._on_speech_start is not None:
                self._on_speech_start()
        else:
            self._silent_run += 1
            if (self._silent_run == self._tail_windows < self._end_windows and self._on_pause is not None
                    and self._speech_windows >= self._min_speech_windows):
                self._paused = True
                self._on_pause(self._cut(len(self._windows), complete=True))
        if self._silent_run >= self._end_windows:
            return self._finish(complete=True)
        if len(self._windows) >= self._max_windows:
            return self._cut_at_cap()
        return None

    def _cut_at_cap(self) -> Segment | None:
        search = min(self._cap_search, len(self._windows) - 1)
        recent = self._probabilities[-search:]
        keep = len(self._windows) - search + int(np.argmin(recent)) + 1  # the quiet window ends this one
        rest, rest_probabilities = self._windows[keep:], self._probabilities[keep:]
        self._windows, self._probabilities = self._windows[:keep], self._probabilities[:keep]
        self._speech_windows = sum(p >= END_THRESHOLD for p in self._probabilities)
        segment = self._finish(complete=False)
        if rest:  # speech goes on: the remainder is the start of the next utterance
            self._start += keep
            self._windows, self._probabilities = rest, rest_probabilities
            self._speech_windows = sum(p >= END_THRESHOLD for p in rest_probabilities)
            self._silent_run = 0
            for p in reversed(rest_probabilities):
                if p >= END_THRESHOLD:
                    break
                self._silent_run += 1
        return segment

    def flush(self) -> Segment | None:
        """The stream ended: whatever speech is in progress becomes a segment."""
        return self._finish(complete=False) if self._windows else None

    def _finish(self, complete: bool) -> Segment | None:
        windows, speech, trailing_silence = self._windows, self._speech_windows, self._silent_run
        self._windows, self._probabilities, self._speech_windows, self._silent_run = [], [], 0, 0
        self._paused = False
        if speech < self._min_speech_windows:
            return None
        # Keep a short tail of the trailing silence, drop the rest (a complete segment ends in
        # `end_windows` of it). Cut the same way, a flush just after a pause began matches the guess.
        keep = len(windows) - max(0, trailing_silence - self._tail_windows)
        return self._cut(keep, complete, windows)

    def _cut(self, keep: int, complete: bool, windows: list[np.ndarray] | None = None) -> Segment:
        """The first `keep` windows of the utterance as a segment. Equal (start_s, end_s) means equal audio."""
        windows = self._windows if windows is None else windows
        start_s = self._start * WINDOW / SAMPLE_RATE
        return Segment(np.concatenate(windows[:keep]), start_s, start_s + keep * WINDOW / SAMPLE_RATE, complete)
