"""Files Chromium's fake devices play: a Y4M clip for the camera and a 16-bit WAV for the mic.

Chromium loops both. The Y4M must be 4:2:0 (4:4:4 gives "Requested device not found"); the WAV must
be 16-bit PCM (24-bit plays as silence without an error).
"""
from __future__ import annotations

import wave
from pathlib import Path
from typing import Iterable

import cv2
import numpy as np


def write_y4m(path: Path, frames: Iterable[np.ndarray], fps: int = 30) -> Path:
    """Write RGB uint8 frames (all the same even size) as a 4:2:0 Y4M file."""
    frames = iter(frames)
    first = next(frames)
    h, w = first.shape[:2]
    with open(path, "wb") as out:
        out.write(f"YUV4MPEG2 W{w} H{h} F{fps}:1 Ip A1:1 C420jpeg\n".encode())
        for rgb in (first, *frames):
            # OpenCV's I420 conversion gives the Y, U, V planes back to back.
            out.write(b"FRAME\n")
            out.write(cv2.cvtColor(rgb, cv2.COLOR_RGB2YUV_I420).tobytes())
    return path


def write_wav(path: Path, samples: np.ndarray, rate: int) -> Path:
    """Write mono float samples in [-1, 1] as 16-bit PCM."""
    pcm = (np.clip(samples, -1, 1) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(pcm.tobytes())
    return path


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    with wave.open(str(path), "rb") as wav:
        assert wav.getsampwidth() == 2, "16-bit PCM expected"
        data = np.frombuffer(wav.readframes(wav.getnframes()), "<i2").astype(np.float32) / 32768
        return data.reshape(-1, wav.getnchannels()).mean(axis=1), wav.getframerate()
