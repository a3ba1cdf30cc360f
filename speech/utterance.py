"""What the speech path hands to the rest of the mirror: plain data."""
from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Utterance:
    text: str
    start_s: float  # seconds from the start of the audio stream
    end_s: float
    speech_end_at: float | None  # time.monotonic() when the segmenter saw speech end (live audio only)
    transcribe_ms: float

    def to_dict(self) -> dict:
        d = asdict(self)
        d.pop("speech_end_at")
        d["start_s"], d["end_s"], d["transcribe_ms"] = round(self.start_s, 3), round(self.end_s, 3), round(self.transcribe_ms, 1)
        return d
