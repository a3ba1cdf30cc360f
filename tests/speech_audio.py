"""Real speech for tests: phrases spoken by espeak-ng, at 16 kHz mono float32, plus the fixtures the
speech tests share (import `transcriber` and `voices` into a test module to use them)."""
from __future__ import annotations

import functools
import hashlib
import subprocess
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from speech.audio import SAMPLE_RATE, Resampler
from speech.wer import word_errors  # noqa: F401 (re-exported for the tests)
from tools.fake_media import read_wav

VOICES = ("en-us", "en-gb", "en-us+m3", "en-us+f3", "en-gb-x-rp")
SPEEDS = (130, 150, 170, 190)

# What people say to the mirror: the catalog's things in the phrasings the interpreter handles,
# plus a few phrasings the speech prompt does not contain ("I want a cape", "take away the sword").
COMMANDS = [
    "give me a sword", "put me in game of thrones", "make it blue", "take me to outer space",
    "make it look like anime", "undo", "remove the crown", "give me a wizard hat", "make it bigger",
    "give me a crown", "put sunglasses on me", "take away the sword", "start over", "give me wings",
    "make it red", "put me underwater", "make it look like a pencil sketch", "give me a shield",
    "I want a cape", "take me to the beach", "make it smaller", "give me a magic wand",
    "put me in a haunted house", "make it look like an oil painting", "give me a lightsaber",
    "take me to the desert", "remove everything", "give me a top hat", "put me in the jungle",
    "make it green", "give me a guitar", "make it look like pixel art",
]


@functools.cache
def load_transcriber(beam_size: int = 1, prompted: bool = True, n_best: bool = False):
    """One whisper model per configuration per test session. `n_best`: as the server loads it for
    the recogniser (world/recognition.py), with n-best readings and the short-command decode."""
    from speech import Transcriber
    from world import Catalog
    from world.recognition import HYPOTHESES, short_prompt

    catalog = Catalog.load()
    prompt = catalog.speech_prompt() if prompted else ""
    if n_best:
        return Transcriber(threads=2, beam_size=beam_size, prompt=prompt, hypotheses=HYPOTHESES,
                           short_prompt=short_prompt())
    return Transcriber(threads=2, beam_size=beam_size, prompt=prompt)


@pytest.fixture(scope="session")
def transcriber():
    return load_transcriber()


@pytest.fixture(scope="session")
def voices(tmp_path_factory):
    """voices(text, i): `text` spoken by the i-th voice/speed combination, 16 kHz mono float32."""
    directory = tmp_path_factory.getbasetemp() / "espeak"
    directory.mkdir(exist_ok=True)
    return lambda text, i=0: speak(text, directory, VOICES[i % len(VOICES)], SPEEDS[i % len(SPEEDS)])


def speak(text: str, directory: Path, voice: str = "en-us", speed: int = 150) -> np.ndarray:
    """`text` spoken by espeak-ng, as 16 kHz mono float32 (the wav is cached in `directory`)."""
    key = hashlib.sha1(f"{voice}|{speed}|{text}".encode()).hexdigest()[:16]
    path = directory / f"{key}.wav"
    if not path.exists():
        subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(path), text], check=True,
                       capture_output=True)
    samples, rate = read_wav(path)
    return resample(samples, rate)


def spoken_wav(text: str, directory: Path, *, lead_s: float = 0.5, tail_s: float = 1.5) -> Path:
    """`text` between silences, as the 16-bit WAV Chromium's fake microphone loops."""
    from tools.fake_media import write_wav

    audio = np.concatenate([silence(lead_s), speak(text, directory), silence(tail_s)])
    return write_wav(directory / f"{'_'.join(text.lower().split())}.wav", audio, SAMPLE_RATE)


def resample(samples: np.ndarray, rate: int) -> np.ndarray:
    resampler = Resampler()
    return np.concatenate([resampler.convert(audio_frame(samples, rate)), resampler.flush()])


def to_rate(samples16k: np.ndarray, rate: int) -> np.ndarray:
    """16 kHz audio at another sample rate (PyAV's resampler, independent of speech.audio)."""
    resampler = av.AudioResampler(format="flt", layout="mono", rate=rate)
    out = [f.to_ndarray().reshape(-1) for f in resampler.resample(audio_frame(samples16k, SAMPLE_RATE))]
    out += [f.to_ndarray().reshape(-1) for f in resampler.resample(None)]
    return np.concatenate(out)


def audio_frame(samples: np.ndarray, rate: int, channels: int = 1, fmt: str = "s16") -> av.AudioFrame:
    """Float mono samples as one frame with `channels` identical channels, in format `fmt`
    (s16 = packed int16 as aiortc delivers; s16p/fltp planar; flt packed float)."""
    samples = np.clip(samples, -1, 1)
    data = (samples * 32767).astype(np.int16) if fmt.startswith("s16") else samples.astype(np.float32)
    if fmt.endswith("p"):  # planar: one row per channel
        array = np.repeat(data[None, :], channels, axis=0)
    else:  # packed: channels interleaved in one row
        array = np.repeat(data[:, None], channels, axis=1).reshape(1, -1)
    frame = av.AudioFrame.from_ndarray(array, format=fmt, layout="mono" if channels == 1 else "stereo")
    frame.sample_rate = rate
    frame.time_base = Fraction(1, rate)
    return frame


def frames(samples: np.ndarray, rate: int = SAMPLE_RATE, channels: int = 1, frame_ms: int = 20, fmt: str = "s16"):
    """Split audio into WebRTC-sized frames (20 ms; aiortc gives 960 samples at 48 kHz)."""
    step = rate * frame_ms // 1000
    for start in range(0, len(samples), step):
        frame = audio_frame(samples[start:start + step], rate, channels, fmt)
        frame.pts = start
        yield frame


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * SAMPLE_RATE), np.float32)


def white_noise(seconds: float, rms: float, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(0, rms, int(seconds * SAMPLE_RATE)).astype(np.float32)


def with_noise(samples: np.ndarray, snr_db: float, seed: int = 0) -> np.ndarray:
    """Add white noise `snr_db` below the signal's mean power."""
    rng = np.random.default_rng(seed)
    power = np.mean(samples ** 2) or 1e-6
    noise = rng.normal(0, np.sqrt(power / 10 ** (snr_db / 10)), samples.shape)
    return (samples + noise).astype(np.float32)
