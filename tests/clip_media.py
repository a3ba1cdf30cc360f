"""Frames and sound to record in the clip tests: what the output track and the mic would hand over."""
from __future__ import annotations

import av
import numpy as np

FPS = 30


def video_frame(i: int, width: int = 320, height: int = 240) -> av.VideoFrame:
    """A frame whose brightness steps with i, as the encoder receives it (yuv420p)."""
    rgb = np.zeros((height, width, 3), np.uint8)
    rgb[:, : width // 2] = (40 + 5 * i) % 256
    rgb[:, width // 2:] = (200, 60, 30)
    return av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format="yuv420p")


def audio_frame(i: int, tone_hz: float = 440.0) -> av.AudioFrame:
    """20 ms of a tone as aiortc delivers the browser's mic: s16 packed stereo, 48 kHz, 960 samples."""
    t = (np.arange(960) + 960 * i) / 48_000
    mono = (0.3 * 32767 * np.sin(2 * np.pi * tone_hz * t)).astype(np.int16)
    frame = av.AudioFrame.from_ndarray(np.repeat(mono, 2).reshape(1, -1), format="s16", layout="stereo")
    frame.sample_rate = 48_000
    return frame


def feed(recorder, seconds: float, start: float, width: int = 320, height: int = 240) -> None:
    """Video at 30 fps and audio every 20 ms for `seconds`, in time order, timestamped from `start`."""
    events = [(n / FPS, "video", n) for n in range(int(seconds * FPS))]
    events += [(i * 0.02, "audio", i) for i in range(int(seconds * 50))]
    for t, kind, n in sorted(events):
        if kind == "video":
            recorder.add_video(video_frame(n, width, height), start + t)
        else:
            recorder.add_audio(audio_frame(n), start + t)
