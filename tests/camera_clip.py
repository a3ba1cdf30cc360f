"""The astronaut clip with known motion (tools.testclip) plus the references tests compare against.

The clip moves the photo by a known affine transform per frame, so a reference measured once in
photo coordinates (keypoints, the person's matte) says where it must be in every frame.
"""
from __future__ import annotations

from functools import lru_cache

import cv2
import numpy as np

from tools.testclip import WALL_RGB, ClipFrame, astronaut, clip_frames, clip_transform

__all__ = ["ClipFrame", "astronaut", "clip_frames", "clip_transform", "photo_matte", "warp_matte",
           "empty_frame", "person_region", "FPS"]

FPS = 30.0


@lru_cache(maxsize=1)
def photo_matte() -> np.ndarray:
    """The astronaut's matte in photo coordinates, float32 (512, 512) in [0, 1]. Read-only."""
    from pose.matte import PersonMatte

    segmenter = PersonMatte(model_selection=0)
    try:
        matte = segmenter.segment(astronaut())
    finally:
        segmenter.close()
    matte.setflags(write=False)
    return matte


def person_region() -> np.ndarray:
    """Where the photo's matte is judged, float32 (512, 512) 1/0: everything but the helmet on the
    table (bottom right), which segmentation models half-count as a person and which hides the
    astronaut's left hand."""
    care = np.ones(astronaut().shape[:2], np.float32)
    care[330:, 280:] = 0
    return care


def warp_matte(matte: np.ndarray, frame: ClipFrame) -> np.ndarray:
    """A photo-space matte moved into `frame` by the frame's known transform."""
    h, w = frame.image.shape[:2]
    return cv2.warpAffine(matte, frame.transform, (w, h), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=0)


def empty_frame(width: int = 640, height: int = 480) -> np.ndarray:
    """The wall without anybody in front of it."""
    return np.full((height, width, 3), WALL_RGB, np.uint8)
