"""Guided upsampling: the painting comes back to full size with the composite's sharp edges."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from mirror.render.neural.models import NUM_LEARNED, StyleNetwork
from mirror.render.neural.upscale import GuidedUpsampler
from tools.testclip import clip_frames

SMALL = (224, 168)


@pytest.fixture(scope="module")
def frame_and_painting():
    photo = next(clip_frames(1)).image
    small = cv2.resize(photo, SMALL, interpolation=cv2.INTER_AREA).astype(np.float32) / 255
    weights = np.zeros(NUM_LEARNED, np.float32)
    weights[22] = 1  # a style with dark outlines that follow the photo
    x = np.ascontiguousarray(small.transpose(2, 0, 1)[None])
    painting = np.clip(StyleNetwork()(x, weights)[0].transpose(1, 2, 0), 0, 1)
    return photo, small, np.ascontiguousarray(painting)


def sharpness(image: np.ndarray) -> float:
    return float(cv2.Laplacian(cv2.cvtColor(image, cv2.COLOR_RGB2GRAY), cv2.CV_32F).var())


def test_guided_upscale_is_sharper_than_a_plain_upscale(frame_and_painting):
    photo, small, painting = frame_and_painting
    plain = (cv2.resize(painting, photo.shape[1::-1]) * 255 + 0.5).astype(np.uint8)
    guided = GuidedUpsampler()(painting, small, photo)
    assert guided.shape == photo.shape and guided.dtype == np.uint8
    assert sharpness(guided) > 2 * sharpness(plain)
    # ... and it is still the painting, not the photo: colours follow the plain upscale.
    assert np.abs(cv2.blur(guided, (9, 9)).astype(int) - cv2.blur(plain, (9, 9))).mean() < 6
    assert np.abs(guided.astype(int) - photo).mean() > 20


def test_the_photos_edges_come_back_where_they_are_in_the_full_size_frame(frame_and_painting):
    photo, small, painting = frame_and_painting
    guided = GuidedUpsampler()(painting, small, photo)
    gray = lambda im: cv2.cvtColor(im, cv2.COLOR_RGB2GRAY)  # noqa: E731
    strong = cv2.Canny(gray(photo), 150, 300) > 0
    found = cv2.Canny(gray(guided), 60, 120) > 0
    distance = cv2.distanceTransform((~found).astype(np.uint8), cv2.DIST_L2, 3)
    assert np.percentile(distance[strong], 75) <= 1.5  # within a pixel or so, at full resolution


def test_detail_is_added_in_the_paintings_colours():
    # A sharp vertical edge in a grey frame; the "painting" is its luminance in blue only.
    guide = np.full((96, 128, 3), 60, np.uint8)
    guide[:, 64:] = 200
    small = cv2.resize(guide, (32, 24), interpolation=cv2.INTER_AREA).astype(np.float32) / 255
    painting = np.zeros_like(small)
    painting[..., 2] = cv2.cvtColor(small, cv2.COLOR_RGB2GRAY)
    out = GuidedUpsampler()(painting, small, guide).astype(int)
    step = np.abs(np.diff(out[48, 56:72], axis=0)).max(axis=0)  # steepest step per channel
    assert step[2] > 2 * step[0]  # the edge is sharp in blue, where the painting follows the photo


def test_buffers_are_reused_and_the_output_written_in_place(frame_and_painting):
    photo, small, painting = frame_and_painting
    upsampler = GuidedUpsampler()
    out = np.zeros_like(photo)
    first = upsampler(painting, small, photo, out=out)
    again = upsampler(painting, small, photo, out=out)
    assert first is out and again is out
    assert np.array_equal(upsampler(painting, small, photo), out)  # deterministic
