"""Video encoder settings chosen for latency, applied once at start-up.

What aiortc 1.16 already does right, and we rely on (checked by `check_supported`):
- VP8 (`aiortc/codecs/vpx.py`): libvpx with `deadline=realtime`, `lag-in-frames=0` (no lookahead:
  each frame leaves the encoder when it goes in), `cpu-used=-6`, one token partition, CBR.
  640×480 encodes in ~5 ms on this CPU (3.5 ms at cpu-used -12, but aiortc offers no hook for
  libvpx options short of replacing `Vp8Encoder.encode`, so that 1–2 ms is left on the table).
- H.264 (`aiortc/codecs/h264.py`): libx264 `tune=zerolatency` (no B-frames, no lookahead, no
  frame threading delay), Baseline profile.
- Keyframes only on request: gop_size 3000 (VP8) and keyframes forced when the receiver sends a
  PLI/FIR. Periodic keyframes are 5× the size of a delta frame (~30 KB vs ~6 KB at 640×480), a
  burst of ~25 packets that delays the frames behind it.

What aiortc gets wrong for us, and what this module changes: the bitrate. The encoder starts at
`DEFAULT_BITRATE` (VP8: 500 kbps) and moves with the receiver's REMB estimate within
[`MIN_BITRATE`, `MAX_BITRATE`]; every change of more than 10 % re-creates the encoder, which starts
with a keyframe. 500 kbps is blocky at 640×480; `Settings.video_bitrate` (1.5 Mbps: ~6 KB, five
packets, per frame at 30 fps) looks clean and costs nothing on a LAN. We start there and cap there,
so the only REMB reaction left is backing off on a congested link. These are module constants that
aiortc reads when an encoder is created and when REMB arrives (no private state is touched).
"""
from __future__ import annotations

import functools
import logging
import time
from typing import TYPE_CHECKING, Callable

import aiortc
from aiortc.codecs import h264, vpx

if TYPE_CHECKING:
    from mirror.settings import Settings

log = logging.getLogger(__name__)

_CODECS = {"VP8": (vpx, vpx.Vp8Encoder), "H264": (h264, h264.H264Encoder)}


def check_supported() -> None:
    """Raise RuntimeError if aiortc no longer reads the bitrate constants this module sets."""
    for name, (module, encoder) in _CODECS.items():
        init_names = encoder.__init__.__code__.co_names
        setter_names = encoder.target_bitrate.fset.__code__.co_names  # type: ignore[attr-defined]
        constants = all(isinstance(getattr(module, c, None), int) for c in ("DEFAULT_BITRATE", "MIN_BITRATE", "MAX_BITRATE"))
        if not constants or "DEFAULT_BITRATE" not in init_names or not {"MIN_BITRATE", "MAX_BITRATE"} <= set(setter_names):
            raise RuntimeError(
                f"low-latency encoder settings (mirror/encoder.py) do not support aiortc "
                f"{getattr(aiortc, '__version__', 'unknown')}: the {name} encoder no longer reads "
                "DEFAULT_BITRATE/MIN_BITRATE/MAX_BITRATE from its module; update mirror/encoder.py."
            )


def configure_low_latency_encoding(settings: "Settings") -> None:
    """Start every VP8/H.264 encoder at `settings.video_bitrate` and never go above it. Process-wide;
    call once at start-up, before the first peer connection encodes (existing encoders keep theirs)."""
    check_supported()
    bitrate = settings.video_bitrate
    if bitrate < 100_000:
        raise ValueError(f"video_bitrate {bitrate} bit/s is too low for 640×480 video; use at least 100000")
    for module, _ in _CODECS.values():
        module.DEFAULT_BITRATE = bitrate
        module.MAX_BITRATE = bitrate
        module.MIN_BITRATE = min(module.MIN_BITRATE, bitrate)
    log.info("video encoders start at and are capped to %d kbit/s", bitrate // 1000)


# Where encode durations go (seconds); set by `time_encoding`, process-wide like the constants above.
_encode_observer: Callable[[float], None] | None = None


def time_encoding(observe: Callable[[float], None] | None) -> None:
    """Report the duration of every VP8/H.264 `encode()` to `observe` (None stops reporting).

    aiortc's sender runs `encoder.encode` in a thread-pool executor and gives no hook around it, so
    the encoder classes' `encode` is wrapped once; the wrapper only reads the clock."""
    global _encode_observer
    _encode_observer = observe
    for _, encoder in _CODECS.values():
        if not getattr(encoder.encode, "_mirror_timed", False):
            encoder.encode = _timed(encoder.encode)


def _timed(encode):
    @functools.wraps(encode)
    def timed_encode(self, frame, force_keyframe: bool = False):
        started = time.perf_counter()
        try:
            return encode(self, frame, force_keyframe)
        finally:
            observer = _encode_observer
            if observer is not None:
                observer(time.perf_counter() - started)

    timed_encode._mirror_timed = True  # type: ignore[attr-defined]
    return timed_encode
