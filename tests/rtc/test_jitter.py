"""The receive path completes a video frame on its RTP marker bit (issue 11), and otherwise behaves
like aiortc's own JitterBuffer: loss holds frames back and ends in a keyframe request, a frame
without a marker falls back to next-frame completion, duplicates and wrap-arounds change nothing."""
from __future__ import annotations

import fractions
import random

import av
import pytest
from aiortc import RTCPeerConnection
from aiortc.codecs import depayload, get_decoder, get_encoder
from aiortc.codecs.vpx import VpxPayloadDescriptor
from aiortc.jitterbuffer import JitterBuffer
from aiortc.rtcrtpparameters import RTCRtpCodecParameters
from aiortc.rtp import RtpPacket

from mirror.rtc import jitter
from mirror.rtc.jitter import MarkerJitterBuffer, check_supported, enable_marker_completion, marker_buffer

VP8 = RTCRtpCodecParameters(mimeType="video/VP8", clockRate=90000, payloadType=96)
CAPACITY = 512  # what aiortc's RTCRtpReceiver uses for video
TICKS_PER_FRAME = 3000  # 90 kHz clock at 30 fps


def vp8_packets(frame: int, first_seq: int, timestamp: int, count: int = 3, marker: bool = True) -> list[RtpPacket]:
    """One VP8 frame as RTP packets, parsed the way the receiver does (payload descriptor stripped
    into `_data`). Each packet's data names its frame and part, so released frames can be checked."""
    packets = []
    for part in range(count):
        descriptor = VpxPayloadDescriptor(partition_start=int(part == 0), partition_id=0, picture_id=frame)
        packet = RtpPacket(
            payload_type=96,
            marker=int(marker and part == count - 1),
            sequence_number=(first_seq + part) & 0xFFFF,
            timestamp=timestamp & 0xFFFFFFFF,
            ssrc=1234,
            payload=bytes(descriptor) + f"<{frame}.{part}>".encode(),
        )
        packet._data = depayload(VP8, packet.payload)
        packets.append(packet)
    return packets


def stream(frames: int, first_seq: int = 100, first_ts: int = 90000, per_frame: int = 3) -> list[list[RtpPacket]]:
    return [vp8_packets(f, first_seq + f * per_frame, first_ts + f * TICKS_PER_FRAME, per_frame) for f in range(frames)]


def frame_data(frame: int, count: int = 3) -> bytes:
    return b"".join(f"<{frame}.{part}>".encode() for part in range(count))


def feed(buffer: JitterBuffer, packets: list[RtpPacket]) -> list[tuple[int, bool, bytes | None]]:
    """(sequence number, pli, released frame data) for each packet added."""
    out = []
    for packet in packets:
        pli, frame = buffer.add(packet)
        out.append((packet.sequence_number, pli, frame.data if frame is not None else None))
    return out


def released_by(results) -> dict[bytes, int]:
    """Released frame data → sequence number of the packet whose arrival released it."""
    return {data: seq for seq, _, data in results if data is not None}


def test_frame_is_released_by_its_own_marker_packet_not_the_next_frame():
    frames = stream(4)
    marker = released_by(feed(MarkerJitterBuffer(CAPACITY), [p for f in frames for p in f]))
    stock = released_by(feed(JitterBuffer(CAPACITY, is_video=True), [p for f in frames for p in f]))
    # The first frame's start is unknown, so it waits for the next frame like aiortc does;
    # from then on each frame leaves on its own last (marker) packet: seq 108 for frame 2.
    assert marker == {frame_data(0): 103, frame_data(1): 105, frame_data(2): 108, frame_data(3): 111}
    # aiortc's stock buffer releases frame 2 only when frame 3's first packet (109) arrives.
    assert stock == {frame_data(0): 103, frame_data(1): 106, frame_data(2): 109}


def test_packets_reordered_within_a_frame_are_released_complete_and_in_order():
    frames = stream(3)
    f1 = frames[1]
    order = frames[0] + [f1[2], f1[0], f1[1]] + frames[2]  # marker packet first
    results = feed(MarkerJitterBuffer(CAPACITY), order)
    released = released_by(results)
    assert released[frame_data(1)] == f1[1].sequence_number  # the packet that closed the gap
    assert [data for _, _, data in results if data is not None] == [frame_data(0), frame_data(1), frame_data(2)]


def test_reordered_across_frames_each_frame_waits_for_all_its_packets():
    frames = stream(4)
    order = frames[0] + frames[1][:2] + frames[2] + [frames[1][2]] + frames[3]
    datas = [data for _, _, data in feed(MarkerJitterBuffer(CAPACITY), order) if data is not None]
    assert datas == [frame_data(f) for f in range(4)]


def test_lost_packet_holds_the_frame_back_and_requests_a_keyframe_when_the_buffer_overflows():
    frames = stream(200)
    lost = frames[5][1]
    packets = [p for f in frames for p in f if p is not lost]
    results = feed(MarkerJitterBuffer(CAPACITY), packets)
    released = [data for _, _, data in results if data is not None]
    # Frames before the loss come out; frame 5 never does (it would be corrupt), and neither does
    # anything behind it until aiortc's overflow handling gives up on it and asks for a keyframe.
    assert released[:5] == [frame_data(f) for f in range(5)]
    assert frame_data(5) not in released
    assert not any(b"<5." in data for data in released)
    first_pli = next(i for i, (_, pli, _) in enumerate(results) if pli)
    assert not any(data for _, _, data in results[15:first_pli])
    assert released[5:], "frames flow again after the keyframe request"


def test_retransmitted_packet_completes_the_held_frame():
    frames = stream(4)
    lost = frames[1][1]
    packets = frames[0] + [p for p in frames[1] if p is not lost] + frames[2] + [lost] + frames[3]
    results = feed(MarkerJitterBuffer(CAPACITY), packets)
    assert released_by(results)[frame_data(1)] == lost.sequence_number
    assert not any(pli for _, pli, _ in results)
    assert [d for _, _, d in results if d is not None] == [frame_data(f) for f in range(4)]


def test_frame_without_marker_falls_back_to_next_frame_completion():
    frames = stream(4)
    frames[2] = vp8_packets(2, frames[2][0].sequence_number, frames[2][0].timestamp, marker=False)
    buffer = MarkerJitterBuffer(CAPACITY)
    released = released_by(feed(buffer, [p for f in frames for p in f]))
    assert released[frame_data(1)] == 105  # own marker
    assert released[frame_data(2)] == 109  # no marker: released by frame 3's first packet
    assert released[frame_data(3)] == 111  # and back to marker completion right after
    assert (buffer.marker_frames, buffer.fallback_frames) == (2, 2)


@pytest.mark.parametrize("duplicate", ["current frame", "released frame", "marker of released frame"])
def test_duplicate_packets_release_nothing_twice(duplicate):
    frames = stream(4)
    packets = frames[0] + frames[1]
    extra = {"current frame": frames[2][0], "released frame": frames[1][0], "marker of released frame": frames[1][2]}[duplicate]
    packets += [frames[2][0], extra, frames[2][1], frames[2][2]] + frames[3]
    datas = [d for _, _, d in feed(MarkerJitterBuffer(CAPACITY), packets) if d is not None]
    assert datas == [frame_data(f) for f in range(4)]


def test_sequence_numbers_wrapping_at_65535():
    frames = stream(6, first_seq=65530)
    results = feed(MarkerJitterBuffer(CAPACITY), [p for f in frames for p in f])
    released = released_by(results)
    assert [f[-1].sequence_number for f in frames] == [65532, 65535, 2, 5, 8, 11]
    assert released == {frame_data(0): 65533, frame_data(1): 65535, frame_data(2): 2,
                        frame_data(3): 5, frame_data(4): 8, frame_data(5): 11}
    assert not any(pli for _, pli, _ in results)


def test_timestamps_wrapping_at_2_32():
    frames = stream(5, first_ts=2**32 - 2 * TICKS_PER_FRAME)
    assert frames[3][0].timestamp < frames[1][0].timestamp  # wrapped
    released = released_by(feed(MarkerJitterBuffer(CAPACITY), [p for f in frames for p in f]))
    assert released == {frame_data(0): 103, frame_data(1): 105, frame_data(2): 108,
                        frame_data(3): 111, frame_data(4): 114}


def test_real_vp8_frames_decode_after_shuffled_delivery():
    """Real encoder output, packets shuffled within each frame after the first: every frame is
    released whole and decodes, and the marker releases all but the first. (The stream's very first
    packet sets the buffer's origin, as in aiortc, so that one must arrive first.)"""
    encoder, decoder = get_encoder(VP8), get_decoder(VP8)
    buffer = MarkerJitterBuffer(CAPACITY)
    rng = random.Random(7)
    seq, decoded, released = 65000, 0, 0
    for index in range(12):
        image = av.VideoFrame.from_ndarray(_pattern(index), format="rgb24").reformat(format="yuv420p")
        image.pts, image.time_base = index * TICKS_PER_FRAME, fractions.Fraction(1, 90000)
        payloads, timestamp = encoder.encode(image, force_keyframe=index == 0)
        packets = []
        for i, payload in enumerate(payloads):
            packet = RtpPacket(payload_type=96, marker=int(i == len(payloads) - 1),
                               sequence_number=seq & 0xFFFF, timestamp=timestamp, payload=payload)
            packet._data = depayload(VP8, payload)
            packets.append(packet)
            seq += 1
        if index:
            rng.shuffle(packets)
        for packet in packets:
            _, frame = buffer.add(packet)
            if frame is not None:
                released += 1
                out = decoder.decode(frame)
                assert out and out[0].width == 320
                decoded += len(out)
    # All 12 come out, the last one without a successor frame: only its marker could release it.
    assert released == decoded == 12
    assert (buffer.marker_frames, buffer.fallback_frames) == (11, 1)


def _pattern(index: int):
    import numpy as np

    rng = np.random.default_rng(index // 4)
    image = rng.integers(0, 255, (240, 320, 3), dtype=np.uint8)  # noise: several packets per frame
    image[:, (index * 8) % 320] = 255
    return image


async def test_enable_marker_completion_changes_video_receivers_only():
    pc = RTCPeerConnection()
    try:
        video = pc.addTransceiver("video").receiver
        audio = pc.addTransceiver("audio").receiver
        stock_audio = getattr(audio, jitter._BUFFER_ATTR)
        enable_marker_completion(video)
        enable_marker_completion(audio)
        enable_marker_completion(video)  # idempotent
        assert marker_buffer(video) is not None
        assert marker_buffer(video).capacity == CAPACITY
        assert marker_buffer(audio) is None
        assert getattr(audio, jitter._BUFFER_ATTR) is stock_audio
    finally:
        await pc.close()


def test_check_supported_accepts_the_installed_aiortc():
    check_supported()


def test_check_supported_names_the_aiortc_version_when_internals_change(monkeypatch):
    import aiortc
    from aiortc import rtcrtpreceiver

    class OtherBuffer:
        pass

    monkeypatch.setattr(rtcrtpreceiver, "JitterBuffer", OtherBuffer)
    with pytest.raises(RuntimeError, match=f"aiortc {aiortc.__version__}"):
        check_supported()


def test_each_released_frame_leaves_its_release_time_for_the_decoder_side_to_collect():
    buffer = MarkerJitterBuffer(capacity=CAPACITY)
    frames = stream(3)
    for packets in frames:
        feed(buffer, packets)
    # The decoder sees timestamps counted from the first released frame (aiortc's TimestampMapper).
    assert buffer.released_at(TICKS_PER_FRAME) is not None  # the second frame, released on its marker
    assert buffer.released_at(TICKS_PER_FRAME) is None  # collected once
    assert buffer.released_at(0) is not None
    assert buffer.released_at(12345) is None  # never released


def test_release_times_nobody_collects_stay_bounded():
    buffer = MarkerJitterBuffer(capacity=CAPACITY)
    for packets in stream(100):
        feed(buffer, packets)
    assert len(buffer._released) <= 32
