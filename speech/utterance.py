"""What the speech path hands to the rest of the mirror: plain data."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Hypothesis:
    """One reading whisper found for an utterance."""
    text: str
    score: float  # log-probability per token (length-normalised): higher is likelier, ~0 certain


@dataclass(frozen=True)
class Utterance:
    text: str
    start_s: float  # seconds from the start of the audio stream (audio dropped under overload not counted)
    end_s: float
    # time.monotonic() when the segmenter could know speech had ended: the push of the audio that
    # completed the end-of-speech silence. Live audio only; None for files, a cut at the length cap,
    # a stalled track or close().
    speech_end_at: float | None
    transcribed_at: float | None  # time.monotonic() when the text was ready (live audio only)
    transcribe_ms: float
    # Whisper's n-best readings, `text` first (more when the transcriber keeps several), and its
    # readings of the same audio under the prompt the recogniser asked for (speech/transcriber.py):
    # the recogniser (world/recognition.py) picks among them by what the mirror can do. Not part of
    # the JSON form.
    alternatives: tuple[Hypothesis, ...] = ()
    reasked: tuple[Hypothesis, ...] = ()
    encode_ms: float = 0.0  # of transcribe_ms, whisper's encoder; the rest its decodes (speech/transcriber.py)

    @property
    def latency_ms(self) -> float | None:
        """End of speech → text, the delay the person feels."""
        if self.speech_end_at is None or self.transcribed_at is None:
            return None
        return (self.transcribed_at - self.speech_end_at) * 1000

    def to_dict(self) -> dict:
        """JSON-ready; monotonic clock readings mean nothing outside this process, so only the
        latency derived from them is kept."""
        d = {"text": self.text, "start_s": round(self.start_s, 3), "end_s": round(self.end_s, 3),
             "transcribe_ms": round(self.transcribe_ms, 1)}
        if (latency := self.latency_ms) is not None:
            d["latency_ms"] = round(latency, 1)
        return d
