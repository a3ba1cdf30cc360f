"""Complete received video frames on the RTP marker bit (issue 11).

Why: aiortc's receive `JitterBuffer` (aiortc 1.16) only knows a frame is complete when it sees a
packet with a *different* timestamp, i.e. the first packet of the next frame. Every received video
frame therefore waits one frame interval (33 ms at 30 fps) before it reaches the decoder, on every
aiortc receive hop. The sender sets the RTP marker bit on the last packet of each VP8/H.264 frame
(RFC 7741 §4.1, RFC 6184 §5.1), so a frame is complete as soon as its marker packet is in and every
packet back to the frame's first one is present.

How: `MarkerJitterBuffer` is a `JitterBuffer` subclass that only changes how a frame is taken out
(`_remove_frame`); insertion, reordering, duplicate handling, overflow and the keyframe requests
(PLI) stay aiortc's own code. It completes the frame at the buffer's origin on its marker bit when
it knows that the origin is the frame's first packet: that is the case once a previous frame has
been released, because the packet after a released frame starts the next one. Otherwise (the very
first frame, after a loss reset, a frame whose marker never arrives) it falls back to aiortc's own
next-frame completion, so nothing can be released earlier than a contiguous, whole frame.

aiortc has no public hook for this: the receiver keeps its buffer in the private attribute
`RTCRtpReceiver.__jitter_buffer`, so `check_supported()` verifies at start-up that the internals are
the ones this was written against.
"""
from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Optional

import aiortc
from aiortc.jitterbuffer import JitterBuffer, JitterFrame
from aiortc.rtp import RtpPacket
from aiortc.utils import uint16_add

if TYPE_CHECKING:
    from aiortc import RTCRtpReceiver

log = logging.getLogger(__name__)

# Name-mangled private attributes of aiortc's RTCRtpReceiver this module relies on.
_BUFFER_ATTR = "_RTCRtpReceiver__jitter_buffer"
_KIND_ATTR = "_RTCRtpReceiver__kind"
# JitterBuffer internals the subclass reads.
_BUFFER_FIELDS = ("_capacity", "_origin", "_packets", "_prefetch", "_is_video")


class MarkerJitterBuffer(JitterBuffer):
    """A video jitter buffer that releases a frame as soon as its marker packet completes it."""

    def __init__(self, capacity: int, prefetch: int = 0, is_video: bool = True) -> None:
        super().__init__(capacity, prefetch=prefetch, is_video=is_video)
        # Sequence number of the first packet of the next frame, known once a frame was released.
        # While `_origin == _frame_start` the packet at the origin begins a frame. aiortc's own
        # resets (loss of more than the capacity, a sequence jump) move the origin elsewhere,
        # which makes the frame start unknown again without any extra bookkeeping.
        self._frame_start: Optional[int] = None
        self.marker_frames = 0  # frames released on their marker bit
        self.fallback_frames = 0  # frames released by aiortc's next-frame rule
        # RTP timestamp → time.monotonic() of release, for the last few frames, so the receiving
        # side can time decoding by the decoded frame's pts (see `released_at`).
        self._released: dict[int, float] = {}
        self._first_timestamp: Optional[int] = None

    @classmethod
    def replacing(cls, stock: JitterBuffer) -> "MarkerJitterBuffer":
        """A marker buffer holding whatever `stock` holds (normally nothing: it is installed before
        the first packet)."""
        buffer = cls(stock.capacity, prefetch=stock._prefetch, is_video=stock._is_video)
        buffer._origin = stock._origin
        buffer._packets = list(stock._packets)
        return buffer

    def released_at(self, pts: int) -> Optional[float]:
        """When the frame that decoded to `pts` left the buffer for the decoder (None if unknown).

        aiortc's receiver hands the decoder the RTP timestamp minus the first released frame's
        (its TimestampMapper, which also unwraps at 2**32), and the decoded frame keeps it as pts."""
        if self._first_timestamp is None:
            return None
        return self._released.pop((pts + self._first_timestamp) & 0xFFFFFFFF, None)

    def _remove_frame(self, sequence_number: int) -> Optional[JitterFrame]:
        frame = self._remove_marked_frame()
        if frame is not None:
            self.marker_frames += 1
        else:
            frame = super()._remove_frame(sequence_number)
            if frame is None:
                return None
            # aiortc released the frame because the next frame's first packet follows it
            # contiguously: the new origin is that first packet.
            self._frame_start = self._origin
            self.fallback_frames += 1
        if len(self._released) >= 32:  # frames nobody asked about (e.g. not decodable): forget the oldest
            del self._released[next(iter(self._released))]
        if self._first_timestamp is None:
            self._first_timestamp = frame.timestamp
        self._released[frame.timestamp] = time.monotonic()
        return frame

    def _remove_marked_frame(self) -> Optional[JitterFrame]:
        if self._origin is None or self._origin != self._frame_start:
            return None
        packets: list[RtpPacket] = []
        for count in range(self._capacity):
            sequence_number = uint16_add(self._origin, count)
            packet = self._packets[sequence_number % self._capacity]
            if packet is None or packet.sequence_number != sequence_number:
                return None  # a gap: wait for the retransmission (NACK) or aiortc's overflow PLI
            if packets and packet.timestamp != packets[0].timestamp:
                return None  # the frame ended without a marker: aiortc's next-frame rule takes it
            packets.append(packet)
            if packet.marker:
                self.remove(len(packets))
                self._frame_start = self._origin
                return JitterFrame(data=b"".join(p._data for p in packets), timestamp=packets[0].timestamp)  # type: ignore[attr-defined]
        return None


def enable_marker_completion(receiver: "RTCRtpReceiver") -> None:
    """Make `receiver` release each video frame on its marker bit.

    Call it for a video receiver before its first RTP packet is handled: on the server, in the
    peer connection's "track" event (fired inside setRemoteDescription, before any media flows);
    on a client, right after `addTransceiver("video")` / `addTrack(video)`. Audio receivers are
    left untouched (audio frames are single packets; their buffer prefetches on purpose).
    Calling it twice is harmless.
    """
    if getattr(receiver, _KIND_ATTR, None) != "video":
        return
    stock = getattr(receiver, _BUFFER_ATTR)
    if isinstance(stock, MarkerJitterBuffer):
        return
    setattr(receiver, _BUFFER_ATTR, MarkerJitterBuffer.replacing(stock))
    log.debug("marker-bit frame completion on receiver %s", id(receiver))


def marker_buffer(receiver: "RTCRtpReceiver") -> Optional[MarkerJitterBuffer]:
    """The receiver's marker buffer (for counters in benches and tests), or None if stock."""
    buffer = getattr(receiver, _BUFFER_ATTR, None)
    return buffer if isinstance(buffer, MarkerJitterBuffer) else None


def check_supported() -> None:
    """Raise RuntimeError if aiortc's receiver internals are not the ones this module patches."""
    from aiortc import rtcrtpreceiver

    version = getattr(aiortc, "__version__", "unknown")
    problem = None
    init_names = rtcrtpreceiver.RTCRtpReceiver.__init__.__code__.co_names
    handle_names = rtcrtpreceiver.RTCRtpReceiver._handle_rtp_packet.__code__.co_names
    if rtcrtpreceiver.JitterBuffer is not JitterBuffer:
        problem = "RTCRtpReceiver no longer uses aiortc.jitterbuffer.JitterBuffer"
    elif _BUFFER_ATTR not in init_names or _BUFFER_ATTR not in handle_names or "add" not in handle_names:
        problem = "RTCRtpReceiver no longer keeps its buffer in __jitter_buffer and calls add() on it"
    elif _KIND_ATTR not in init_names:
        problem = "RTCRtpReceiver no longer keeps its kind in __kind"
    else:
        probe = JitterBuffer(capacity=4, is_video=True)
        if not all(hasattr(probe, name) for name in _BUFFER_FIELDS) or not callable(
            getattr(probe, "_remove_frame", None)
        ):
            problem = "JitterBuffer no longer has the _remove_frame/_origin/_packets internals"
        elif not _self_test():
            problem = "a frame closed by its marker bit was not released"
    if problem:
        raise RuntimeError(
            f"RTP marker-bit completion (mirror/rtc/jitter.py) does not support aiortc {version}: {problem}; "
            "update mirror/rtc/jitter.py or set MIRROR_RTP_MARKER_COMPLETION=false."
        )


def _self_test() -> bool:
    """Two 2-packet frames: the second must come out on its own marker packet."""
    buffer = MarkerJitterBuffer(capacity=8)
    released = []
    for seq, ts, marker in ((1, 10, 0), (2, 10, 1), (3, 20, 0), (4, 20, 1)):
        packet = RtpPacket(payload_type=96, marker=marker, sequence_number=seq, timestamp=ts)
        packet._data = bytes([seq])  # type: ignore[attr-defined]
        pli, frame = buffer.add(packet)
        released.append(frame.timestamp if frame is not None else None)
    # The first frame's start is unknown, so it is released by the next frame's first packet (3);
    # the second is released by its own marker packet (4).
    return released == [None, None, 10, 20]
