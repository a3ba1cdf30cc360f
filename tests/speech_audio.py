"""Real speech for tests: phrases spoken by espeak-ng, at 16 kHz mono float32."""
from __future__ import annotations

import subprocess
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from speech.audio import SAMPLE_RATE, Resampler
from tests.fake_media import read_wav

VOICES = ("en-us", "en-gb", "en-us+m3", "en-us+f3", "en-gb-x-rp")
SPEEDS = (130, 150, 170, 190)


def speak(text: str, directory: Path, voice: str = "en-us", speed: int = 150) -> np.ndarray:
    """`text` spoken by espeak-ng, as 16 kHz mono float32 (cached in `directory`)."""
    path = directory / f"{abs(hash((text, voice, speed)))}.wav"
    if not path.exists():
        subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(path), text], check=True,
                       capture_output=True)
    samples, rate = read_wav(path)
    return resample(samples, rate)


def resample(samples: np.ndarray, rate: int) -> np.ndarray:
    return Resampler().convert(audio_frame(samples, rate))


def audio_frame(samples: np.ndarray, rate: int, channels: int = 1) -> av.AudioFrame:
    """Float mono samples as an s16 packed frame with `channels` identical channels."""
    pcm = (np.clip(samples, -1, 1) * 32767).astype(np.int16)
    interleaved = np.repeat(pcm[:, None], channels, axis=1).reshape(1, -1)
    frame = av.AudioFrame.from_ndarray(interleaved, format="s16", layout="mono" if channels == 1 else "stereo")
    frame.sample_rate = rate
    frame.time_base = Fraction(1, rate)
    return frame


def frames(samples: np.ndarray, rate: int = SAMPLE_RATE, channels: int = 1, frame_ms: int = 20):
    """Split audio into WebRTC-sized frames (20 ms)."""
    step = rate * frame_ms // 1000
    for start in range(0, len(samples), step):
        yield audio_frame(samples[start:start + step], rate, channels)


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * SAMPLE_RATE), np.float32)


def with_noise(samples: np.ndarray, snr_db: float, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    power = np.mean(samples ** 2) or 1e-6
    noise = rng.normal(0, np.sqrt(power / 10 ** (snr_db / 10)), samples.shape)
    return (samples + noise).astype(np.float32)


def word_error_rate(reference: str, hypothesis: str) -> tuple[int, int]:
    """(word edits, reference words) after lower-casing and dropping punctuation."""
    def words(text: str) -> list[str]:
        return "".join(c if c.isalnum() or c == " " else " " for c in text.lower()).split()

    ref, hyp = words(reference), words(hypothesis)
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, row[0] = row[0], i
        for j, h in enumerate(hyp, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (r != h))
    return row[-1], len(ref)
