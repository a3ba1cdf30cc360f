"""Encoder settings for latency: the bitrate aiortc starts and caps at, for each output size, and
the encode timing that /metrics exports (real VP8 and H.264 encoders)."""
from __future__ import annotations

import fractions

import av
import numpy as np
import pytest
from aiortc.codecs import get_encoder, h264, vpx
from aiortc.rtcrtpparameters import RTCRtpCodecParameters

from aiortc.codecs import get_decoder
from aiortc.jitterbuffer import JitterFrame

from mirror.rtc import encoder as encoder_module
from mirror.rtc.encoder import FAST_VP8_OPTIONS, bitrate_for, configure_low_latency_encoding, time_encoding
from mirror.server.settings import Settings

CODECS = {
    "VP8": RTCRtpCodecParameters(mimeType="video/VP8", clockRate=90000, payloadType=96),
    "H264": RTCRtpCodecParameters(mimeType="video/H264", clockRate=90000, payloadType=102),
}


def camera_frame(index: int = 0, size: tuple[int, int] = (640, 480)) -> av.VideoFrame:
    image = np.random.default_rng(index).integers(0, 255, (size[1], size[0], 3), dtype=np.uint8)
    frame = av.VideoFrame.from_ndarray(image, format="rgb24").reformat(format="yuv420p")
    frame.pts, frame.time_base = index * 3000, fractions.Fraction(1, 90000)
    return frame


@pytest.fixture
def restore_constants():
    saved = {m: (m.DEFAULT_BITRATE, m.MIN_BITRATE, m.MAX_BITRATE) for m in (vpx, h264)}
    fast, reference = encoder_module._fast_vp8, encoder_module._reference_bitrate
    yield
    for module, (default, low, high) in saved.items():
        module.DEFAULT_BITRATE, module.MIN_BITRATE, module.MAX_BITRATE = default, low, high
    encoder_module._fast_vp8, encoder_module._reference_bitrate = fast, reference
    time_encoding(None)


@pytest.mark.parametrize("codec", CODECS)
def test_new_encoders_start_at_and_never_exceed_the_configured_bitrate(codec, restore_constants):
    configure_low_latency_encoding(Settings.load({"video_bitrate": 1_200_000}))
    encoder = get_encoder(CODECS[codec])
    encoder.encode(camera_frame(0), force_keyframe=True)
    assert encoder.target_bitrate == encoder.codec.bit_rate == 1_200_000  # at 640×480
    encoder.target_bitrate = 5_000_000  # a receiver's REMB estimate above the cap
    encoder.encode(camera_frame(1))
    assert encoder.target_bitrate == encoder.codec.bit_rate == 1_200_000


def test_the_bitrate_grows_with_the_pixels_less_than_in_proportion():
    assert bitrate_for(640, 480, 1_500_000) == 1_500_000
    rates = [bitrate_for(w, h, 1_500_000) for w, h in ((640, 360), (640, 480), (960, 540), (1280, 720))]
    assert rates == sorted(rates) and len(set(rates)) == 4
    assert 1.6 < rates[-1] / 1_500_000 < 1.8  # 720p has 3× the pixels of 640×480: √3 × the bitrate


@pytest.mark.parametrize("codec", CODECS)
def test_a_quality_step_changes_the_bitrate_with_the_size(codec, restore_constants):
    configure_low_latency_encoding(Settings.load({"video_bitrate": 1_500_000}))
    encoder = get_encoder(CODECS[codec])
    for index, size in enumerate([(1280, 720), (960, 540), (640, 360), (1280, 720)]):
        encoder.encode(camera_frame(index, size), force_keyframe=index == 0)
        assert (encoder.codec.width, encoder.codec.height) == size
        assert encoder.codec.bit_rate == encoder.target_bitrate == bitrate_for(*size, 1_500_000), size


@pytest.mark.parametrize("codec", CODECS)
def test_a_congested_link_still_lowers_the_bitrate_below_the_sizes(codec, restore_constants):
    configure_low_latency_encoding(Settings.load({"video_bitrate": 1_500_000}))
    encoder = get_encoder(CODECS[codec])
    encoder.encode(camera_frame(0, (1280, 720)), force_keyframe=True)
    encoder.target_bitrate = 900_000  # REMB: the receiver sees loss
    encoder.encode(camera_frame(1, (1280, 720)))
    assert encoder.codec.bit_rate == 900_000
    encoder.encode(camera_frame(2, (640, 360)))  # smaller: its own bitrate (1.3 Mbps) is above REMB's
    assert encoder.codec.bit_rate == 900_000


def test_a_bitrate_too_low_for_640x480_is_refused(restore_constants):
    with pytest.raises(ValueError, match="too low"):
        configure_low_latency_encoding(Settings.load({"video_bitrate": 50_000}))


@pytest.mark.parametrize("codec", CODECS)
def test_every_encode_is_timed_until_timing_is_switched_off(codec, restore_constants):
    durations: list[float] = []
    time_encoding(durations.append)
    time_encoding(durations.append)  # installing twice wraps once
    encoder = get_encoder(CODECS[codec])
    payloads, _ = encoder.encode(camera_frame(0), force_keyframe=True)
    encoder.encode(camera_frame(1))
    assert payloads and len(durations) == 2 and all(0 < d < 5 for d in durations)
    time_encoding(None)
    encoder.encode(camera_frame(2))
    assert len(durations) == 2


def test_fast_vp8_opens_libvpx_with_its_options_and_still_decodes(restore_constants):
    configure_low_latency_encoding(Settings.load({"fast_vp8": True}))
    encoder, decoder = get_encoder(CODECS["VP8"]), get_decoder(CODECS["VP8"])
    for index in range(3):
        payloads, timestamp = encoder.encode(camera_frame(index), force_keyframe=index == 0)
        data = b"".join(vpx.vp8_depayload(p) for p in payloads)
        (decoded,) = decoder.decode(JitterFrame(data=data, timestamp=timestamp))
        assert (decoded.width, decoded.height) == (640, 480)
    options = encoder.mirror_options
    assert {k: options[k] for k in FAST_VP8_OPTIONS} == FAST_VP8_OPTIONS
    assert options["deadline"] == "realtime" and options["lag-in-frames"] == "0"
    first = encoder.codec
    encoder.target_bitrate = encoder.target_bitrate // 2  # a congested link: aiortc would re-open libvpx
    encoder.encode(camera_frame(3))
    assert encoder.codec is not first and encoder.codec.bit_rate == encoder.target_bitrate
    assert encoder.mirror_options["cpu-used"] == FAST_VP8_OPTIONS["cpu-used"]


def test_without_fast_vp8_aiortc_opens_libvpx_its_own_way(restore_constants):
    configure_low_latency_encoding(Settings.load({"fast_vp8": False}))
    encoder = get_encoder(CODECS["VP8"])
    payloads, _ = encoder.encode(camera_frame(0), force_keyframe=True)
    assert payloads and encoder.codec is not None
    assert not hasattr(encoder, "mirror_options")
