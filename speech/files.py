"""Transcribe an audio file through the same VAD + segmenter path as live audio."""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

from speech.audio import decode_file
from speech.segmenter import Segment
from speech.stream import SpeechStream
from speech.transcriber import Transcriber
from speech.utterance import Utterance


def transcribe_file(path: str | Path, transcriber: Transcriber, *, end_silence_ms: int = 300,
                    max_utterance_s: float = 15.0) -> Iterator[Utterance]:
    """Utterances of any file PyAV reads, in order, as they are found (lazily: a long file yields its
    first utterance before the rest is decoded). Times are seconds from the start of the file."""
    stream = SpeechStream(end_silence_ms=end_silence_ms, max_utterance_s=max_utterance_s)

    def utterance(segment: Segment) -> Utterance | None:
        text, ms = transcriber.transcribe(segment.audio)
        return Utterance(text, segment.start_s, segment.end_s, None, None, ms) if text else None

    for samples in decode_file(str(path)):
        for segment in stream.feed(samples):
            if (u := utterance(segment)) is not None:
                yield u
    last = stream.flush()
    if last is not None and (u := utterance(last)) is not None:
        yield u
