"""Spoken commands over the noise of a room, synthesised with espeak-ng and sox at run time.

No audio is committed: each clip is made in a temporary directory from text, a voice, a speed and a
kind of noise (tools/bench/speech_heldout.py lists them). All audio here is 16 kHz mono float32.
Every sox call runs in its repeatable mode (`-R`): without it sox seeds its noise and its dither
from the clock, so each run of a bench heard different audio and its figures moved with it (the
same code read 38 to 41 of the 48 held-out commands).
"""
from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np

RATE = 16_000
NOISE_S = 30.0  # the stretch of each noise colour the clips' noise is cut from


def speak(text: str, path: Path, voice: str, speed: int) -> np.ndarray:
    """`text` spoken by espeak-ng, resampled by sox to 16 kHz mono."""
    raw = path.with_suffix(".espeak.wav")
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(raw), text], check=True, capture_output=True)
    subprocess.run(["sox", "-R", str(raw), "-r", str(RATE), "-c", "1", "-b", "16", str(path)], check=True,
                   capture_output=True)
    return read(path)


def noise(kind: str, seconds: float, directory: Path, babble: tuple[str, ...] = (), seed: int = 0) -> np.ndarray:
    """`seconds` of one kind of room noise: a sox `synth` noise colour ("brownnoise", "pinknoise",
    "whitenoise"), "hum" (50 Hz mains with its harmonics), or "babble" (the `babble` sentences
    spoken at once by different voices, mixed by sox, muffled and made reverberant as talk from
    across a room, looped to length)."""
    # One stretch of each noise per directory; each seed takes its own part of it.
    path = directory / f"noise-{kind}.wav"
    length = f"{max(seconds, NOISE_S) + 0.05:.2f}"  # sox rounds: a little more, then cut to the sample
    if kind == "babble":
        voices = ("en-us+m1", "en-gb+f4", "en-us+m6", "en-gb-x-rp+f1")
        parts = []
        for i, sentence in enumerate(babble):
            part = directory / f"babble-{seed}-{i}.wav"
            speak(sentence, part, voices[i % len(voices)], 150 + 10 * i)
            parts.append(str(part))
        mixed = directory / f"babble-{seed}.wav"
        # Talk from across a room: muffled and reverberant.
        subprocess.run(["sox", "-R", "-m", *parts, str(mixed), "lowpass", "1200", "reverb", "80", "50", "100"],
                       check=True, capture_output=True)
        voices_mixed = read(mixed)
        repeats = int(np.ceil(seconds * RATE / len(voices_mixed)))
        start = (seed * 7919) % len(voices_mixed)  # a different stretch of talk for each clip
        return np.roll(np.tile(voices_mixed, repeats + 1), -start)[:int(seconds * RATE)]
    need = int(seconds * RATE)
    stretch = read(path) if path.exists() else np.zeros(0, np.float32)
    if len(stretch) < need:
        if kind == "hum":
            tones = [f"|sox -n -r {RATE} -c 1 -p synth {length} sine {f} vol {v}"
                     for f, v in ((50, 1.0), (100, 0.5), (150, 0.35), (250, 0.2))]
            subprocess.run(["sox", "-R", "-m", *tones, "-r", str(RATE), "-c", "1", "-b", "16", str(path)],
                           check=True, capture_output=True)
        else:
            subprocess.run(["sox", "-R", "-n", "-r", str(RATE), "-c", "1", "-b", "16", str(path), "synth", length,
                            kind, "vol", "0.5"], check=True, capture_output=True)
        stretch = read(path)
    start = (seed * 7919) % max(1, len(stretch) - need + 1)
    return stretch[start:start + need]


def mix(speech: np.ndarray, background: np.ndarray, snr_db: float) -> np.ndarray:
    """`background` scaled to `snr_db` below the speech's mean power (over the speech's voiced part,
    so leading and trailing silence do not flatter the ratio), added under it."""
    voiced = speech[np.abs(speech) > 0.01 * np.abs(speech).max()] if speech.size else speech
    power = float(np.mean(voiced ** 2)) if voiced.size else 1e-6
    noise_power = float(np.mean(background ** 2)) or 1e-12
    scaled = background[:len(speech)] * np.sqrt(power / 10 ** (snr_db / 10) / noise_power)
    return np.clip(speech + scaled, -1, 1).astype(np.float32)


def read(path: Path) -> np.ndarray:
    import wave

    with wave.open(str(path), "rb") as wav:
        assert wav.getsampwidth() == 2 and wav.getframerate() == RATE and wav.getnchannels() == 1, path
        return np.frombuffer(wav.readframes(wav.getnframes()), "<i2").astype(np.float32) / 32768
