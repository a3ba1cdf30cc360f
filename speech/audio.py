"""Audio frames in any layout/rate/format → 16 kHz mono float32, the rate Silero VAD and whisper use."""
from __future__ import annotations

from typing import Iterator

import av
import numpy as np

SAMPLE_RATE = 16_000


class Resampler:
    """Converts a stream of av.AudioFrame (aiortc gives s16 stereo 48 kHz) to 16 kHz mono float32.

    PyAV's resampler keeps filter state between frames, so frame boundaries leave no clicks; it is
    rebuilt if the input format changes mid-stream.
    """

    def __init__(self) -> None:
        self._resampler: av.AudioResampler | None = None
        self._input_key: tuple | None = None

    def convert(self, frame: av.AudioFrame) -> np.ndarray:
        key = (frame.format.name, frame.layout.name, frame.sample_rate)
        if key != self._input_key:
            self._resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
            self._input_key = key
        return _samples(self._resampler.resample(frame))

    def flush(self) -> np.ndarray:
        """The few samples the resampler's filter still holds at the end of a stream."""
        if self._resampler is None:
            return np.zeros(0, np.float32)
        return _samples(self._resampler.resample(None))


def _samples(frames: list[av.AudioFrame]) -> np.ndarray:
    chunks = [f.to_ndarray().reshape(-1) for f in frames]
    if not chunks:
        return np.zeros(0, np.float32)
    return np.concatenate(chunks).astype(np.float32, copy=False)


def decode_file(path: str) -> Iterator[np.ndarray]:
    """16 kHz mono float32 chunks of the first audio stream of any file PyAV can read."""
    resampler = Resampler()
    with av.open(str(path)) as container:
        stream = next((s for s in container.streams if s.type == "audio"), None)
        if stream is None:
            raise ValueError(f"{path}: no audio stream")
        for frame in container.decode(stream):
            samples = resampler.convert(frame)
            if samples.size:
                yield samples
    tail = resampler.flush()
    if tail.size:
        yield tail
