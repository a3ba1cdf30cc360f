"""A synthetic camera clip with known motion: the astronaut photo moved by a known affine transform.

Benches and tests use it as the camera: since the transform of every frame is known, where the
wrists, the head and the person's outline should be in each frame is known too.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterator

import cv2
import numpy as np

PHOTO = Path(__file__).parent / "media" / "astronaut.jpg"
WALL_RGB = (128, 134, 140)  # a plain grey wall behind the photo's own background


@lru_cache(maxsize=1)
def astronaut() -> np.ndarray:
    """The photo as RGB uint8 (512, 512, 3). Read-only."""
    image = cv2.imread(str(PHOTO))
    if image is None:
        raise FileNotFoundError(f"test photo missing: {PHOTO}")
    rgb = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
    rgb.setflags(write=False)
    return rgb


@dataclass(frozen=True)
class ClipFrame:
    image: np.ndarray  # RGB uint8 (H, W, 3)
    transform: np.ndarray  # (2, 3) affine: photo pixel (x, y, 1) → frame pixel
    index: int

    def to_frame(self, photo_xy: np.ndarray) -> np.ndarray:
        """Map photo pixel coordinates (..., 2) into this frame."""
        xy = np.asarray(photo_xy, np.float64)
        return xy @ self.transform[:, :2].T + self.transform[:, 2]


def clip_transform(index: int, width: int, height: int, *, amplitude_px: float = 40.0,
                   period_frames: int = 90, tilt_deg: float = 4.0) -> np.ndarray:
    """The photo fitted to the frame height, centred, swaying sideways and tilting slowly."""
    photo = astronaut()
    scale = height / photo.shape[0]
    phase = 2 * math.pi * index / period_frames
    dx = amplitude_px * math.sin(phase)
    angle = tilt_deg * math.sin(phase)
    centre = (photo.shape[1] / 2, photo.shape[0] / 2)
    m = cv2.getRotationMatrix2D(centre, angle, scale)
    m[0, 2] += width / 2 - centre[0] + dx
    m[1, 2] += height / 2 - centre[1]
    return m


def clip_frames(count: int, width: int = 640, height: int = 480, **motion) -> Iterator[ClipFrame]:
    photo = astronaut()
    for index in range(count):
        m = clip_transform(index, width, height, **motion)
        image = cv2.warpAffine(photo, m, (width, height), flags=cv2.INTER_LINEAR,
                               borderMode=cv2.BORDER_CONSTANT, borderValue=WALL_RGB)
        yield ClipFrame(image, m, index)
