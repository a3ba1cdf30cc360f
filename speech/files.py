"""Transcribe an audio file through the same VAD + segmenter path as live audio."""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

from speech.audio import decode_file
from speech.stream import SpeechStream
from speech.transcriber import Transcriber
from speech.utterance import Utterance


def transcribe_file(path: str | Path, transcriber: Transcriber, *, end_silence_ms: int = 300,
                    max_utterance_s: float = 15.0) -> Iterator[Utterance]:
    stream = SpeechStream(end_silence_ms=end_silence_ms, max_utterance_s=max_utterance_s)

    def utterance(segment) -> Utterance | None:
        text, ms = transcriber.transcribe(segment.audio)
        return Utterance(text, segment.start_s, segment.end_s, None, ms) if text else None

    for samples in decode_file(str(path)):
        for segment in stream.feed(samples):
            if (u := utterance(segment)) is not None:
                yield u
    last = stream.flush()
    if last is not None and (u := utterance(last)) is not None:
        yield u
