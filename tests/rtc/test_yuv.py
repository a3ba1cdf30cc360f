"""RGB ⇄ I420 for the frame path: the same BT.601 limited-range colours as PyAV/FFmpeg, both ways."""
import av
import numpy as np
import pytest

from tools.testclip import clip_frames
from mirror.rtc.yuv import rgb_from_video, video_from_rgb


@pytest.fixture(scope="module")
def photo():
    return next(clip_frames(1)).image


def test_encoding_side_matches_ffmpeg_conversion(photo):
    ours = video_from_rgb(photo)
    ffmpeg = av.VideoFrame.from_ndarray(photo, format="rgb24").reformat(format="yuv420p")
    assert ours.format.name == "yuv420p" and (ours.width, ours.height) == (640, 480)
    a, b = ours.to_ndarray().astype(int), ffmpeg.to_ndarray().astype(int)
    assert np.abs(a[:480] - b[:480]).mean() < 0.1  # luma
    assert np.abs(a[480:] - b[480:]).mean() < 1.0  # chroma
    assert a[:480].min() >= 16 and a[:480].max() <= 235  # limited range, as decoders assume


def test_decoding_side_matches_ffmpeg_conversion(photo):
    frame = av.VideoFrame.from_ndarray(photo, format="rgb24").reformat(format="yuv420p")
    assert np.abs(rgb_from_video(frame).astype(int) - frame.to_ndarray(format="rgb24")).mean() < 1.5


def test_round_trip_keeps_the_picture(photo):
    back = rgb_from_video(video_from_rgb(photo))
    assert back.shape == photo.shape and np.abs(back.astype(int) - photo).mean() < 1.5


def test_odd_sizes_and_other_formats_go_through_pyav():
    image = np.full((31, 45, 3), (200, 30, 60), np.uint8)
    frame = video_from_rgb(image)
    assert (frame.width, frame.height) == (45, 31)
    rgb = rgb_from_video(av.VideoFrame.from_ndarray(image, format="rgb24"))
    assert np.array_equal(rgb, image)
