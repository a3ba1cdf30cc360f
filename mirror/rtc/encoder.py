"""Video encoder settings chosen for latency, applied once at start-up, and encode timing.

What aiortc 1.16 already does right, and we rely on (checked by `check_supported`):
- VP8 (`aiortc/codecs/vpx.py`): libvpx with `deadline=realtime`, `lag-in-frames=0` (no lookahead:
  each frame leaves the encoder when it goes in), one token partition, CBR.
- H.264 (`aiortc/codecs/h264.py`): libx264 `tune=zerolatency` (no B-frames, no lookahead, no
  frame threading delay), Baseline profile.
- Keyframes only on request: gop_size 3000 (VP8) and keyframes forced when the receiver sends a
  PLI/FIR. Periodic keyframes are 5× the size of a delta frame (~30 KB vs ~6 KB at 640×480), a
  burst of ~25 packets that delays the frames behind it.

What this module changes:
- The bitrate. aiortc starts an encoder at `DEFAULT_BITRATE` (VP8: 500 kbps) and moves with the
  receiver's REMB estimate within [`MIN_BITRATE`, `MAX_BITRATE`]; every change of more than 10 %
  re-creates the encoder, which starts with a keyframe. 500 kbps is blocky at 640×480;
  `Settings.video_bitrate` (1.5 Mbps: ~6 KB, five packets, per frame at 30 fps) looks clean and
  costs nothing on a LAN. That is the bitrate at 640×480; the output's size moves with the quality
  loop (mirror/frames/quality.py), and the bitrate with it: `bitrate_for` scales it by the square root of
  the pixel count: 640×360 1.3, 960×540 1.9, 1280×720 2.6 Mbps. Measured at 1280×720 on the test
  clip (VP8 as configured here): 1.5 → 2.6 → 3.4 Mbit/s gives 40.2 → 41.1 → 41.4 dB PSNR, and
  against 1.5 Mbit/s adds ~1 ms (2.6) or ~7 ms (3.4, pixels^0.75) to the glass-to-glass p50 of
  `mirror bench latency --camera 1280x720`: the square root keeps most of the gain for little lag.
  Every encode reads aiortc's target (REMB's wish, within the module's bounds, which we set to the
  largest size's bitrate) no higher than the bitrate for the size it encodes, so a quality step
  re-creates the encoder at the new size *and* bitrate at once (one keyframe, which the size change
  costs anyway), and the only REMB reaction left is backing off on a congested link. aiortc's
  module constants are set and its `target_bitrate` property is wrapped with that cap; no private
  state is touched.
- VP8 speed (`Settings.fast_vp8`). aiortc opens libvpx with `cpu-used=-6` and
  `noise-sensitivity=4` (a temporal denoiser): 6.7 ms per 640×480 frame here. `cpu-used=-12`
  without the denoiser: 3.3 ms at the same CBR size — 3.4 ms off every encode, i.e. off every
  glass-to-glass trip. The denoiser cleans camera noise, but what the mirror encodes is a rendered
  frame, and the browser's own encoder already denoises the camera. aiortc has no hook for libvpx
  options, so the encoder's codec context is opened here, just before aiortc would open its own,
  with aiortc's options and these two changed (`_open_vp8`).
- Timing: every encode's duration goes to an observer (the `encode` step in /metrics).
Both hooks live in one wrapper around the encoder classes' `encode`, installed once.
"""
from __future__ import annotations

import functools
import logging
import multiprocessing
import time
from typing import TYPE_CHECKING, Callable

import aiortc
import av
from aiortc.codecs import h264, vpx

if TYPE_CHECKING:
    from mirror.server.settings import Settings

log = logging.getLogger(__name__)

_CODECS = {"VP8": (vpx, vpx.Vp8Encoder), "H264": (h264, h264.H264Encoder)}

# libvpx options that differ from aiortc's, and why: see the module docstring.
FAST_VP8_OPTIONS = {"cpu-used": "-12", "noise-sensitivity": "0"}
REFERENCE_PIXELS = 640 * 480  # `Settings.video_bitrate` is the bitrate at this size
SIZE_EXPONENT = 0.5  # bitrate ∝ √pixels (see the module docstring)

# aiortc's own, as imported: what `restore_stock_encoding` puts back.
_STOCK = {name: ({k: getattr(module, k) for k in ("DEFAULT_BITRATE", "MIN_BITRATE", "MAX_BITRATE")},
                 {k: encoder.__dict__[k] for k in ("encode", "target_bitrate")})
          for name, (module, encoder) in _CODECS.items()}

# Process-wide state read by the encode wrapper (set by the functions below).
_encode_observer: Callable[[float], None] | None = None
_fast_vp8 = False
_reference_bitrate: int | None = None  # bit/s at REFERENCE_PIXELS; None: aiortc's bitrate, whatever the size


def bitrate_for(width: int, height: int, reference_bitrate: int) -> int:
    """The encoder's bitrate (bit/s) for frames of width × height, given the one for 640×480; in
    whole kbit/s, as libx264 keeps it."""
    return int(reference_bitrate * (width * height / REFERENCE_PIXELS) ** SIZE_EXPONENT) // 1000 * 1000


def check_supported() -> None:
    """Raise RuntimeError if aiortc's encoders no longer look the way this module relies on."""
    version = getattr(aiortc, "__version__", "unknown")
    for name, (module, encoder) in _CODECS.items():
        init_names = encoder.__init__.__code__.co_names
        setter_names = encoder.target_bitrate.fset.__code__.co_names  # type: ignore[attr-defined]
        constants = all(isinstance(getattr(module, c, None), int) for c in ("DEFAULT_BITRATE", "MIN_BITRATE", "MAX_BITRATE"))
        if not isinstance(encoder.__dict__.get("target_bitrate"), property):
            raise RuntimeError(f"low-latency encoder settings (mirror/rtc/encoder.py) do not support aiortc {version}: "
                               f"the {name} encoder has no target_bitrate property to cap by size")
        if not constants or "DEFAULT_BITRATE" not in init_names or not {"MIN_BITRATE", "MAX_BITRATE"} <= set(setter_names):
            raise RuntimeError(
                f"low-latency encoder settings (mirror/rtc/encoder.py) do not support aiortc {version}: the {name} "
                "encoder no longer reads DEFAULT_BITRATE/MIN_BITRATE/MAX_BITRATE from its module; update mirror/rtc/encoder.py."
            )
    encode = getattr(vpx.Vp8Encoder.encode, "__wrapped__", vpx.Vp8Encoder.encode)
    constants = set()
    for const in encode.__code__.co_consts:  # an options dict's keys are one tuple constant
        constants.update(const if isinstance(const, tuple) else (const,))
    if "codec" not in vpx.Vp8Encoder.__init__.__code__.co_names or not {"cpu-used", "noise-sensitivity"} <= constants:
        raise RuntimeError(
            f"fast VP8 settings (mirror/rtc/encoder.py) do not support aiortc {version}: Vp8Encoder no longer opens "
            "libvpx in encode() as self.codec with cpu-used/noise-sensitivity options; update mirror/rtc/encoder.py "
            "or set MIRROR_FAST_VP8=false."
        )


def configure_low_latency_encoding(settings: "Settings") -> None:
    """Start every VP8/H.264 encoder at the bitrate for the size it encodes (`bitrate_for`, from
    `settings.video_bitrate` at 640×480), never go above it, and (with `settings.fast_vp8`) open
    VP8 encoders with FAST_VP8_OPTIONS. Process-wide; call once at start-up, before the first peer
    connection encodes (existing encoders keep theirs)."""
    global _fast_vp8, _reference_bitrate
    check_supported()
    bitrate = settings.video_bitrate
    if bitrate < 100_000:
        raise ValueError(f"video_bitrate {bitrate} bit/s is too low for 640×480 video; use at least 100000")
    width, height = max(settings.max_width, settings.width), max(settings.max_height, settings.height)
    largest = bitrate_for(width, height, bitrate)
    for module, _ in _CODECS.values():
        module.DEFAULT_BITRATE = largest
        module.MAX_BITRATE = largest
        module.MIN_BITRATE = min(module.MIN_BITRATE, bitrate)
    _reference_bitrate = bitrate
    _fast_vp8 = settings.fast_vp8
    _install()
    log.info("video encoders start at and are capped to %d kbit/s at 640×480, %d kbit/s at %d×%d%s",
             bitrate // 1000, largest // 1000, width, height,
             "; VP8 at cpu-used -12 without denoising" if _fast_vp8 else "")


def time_encoding(observe: Callable[[float], None] | None) -> None:
    """Report the duration of every VP8/H.264 `encode()` to `observe` (None stops reporting).
    aiortc's sender runs `encoder.encode` in a thread-pool executor and gives no hook around it."""
    global _encode_observer
    _encode_observer = observe
    _install()


def restore_stock_encoding() -> None:
    """Undo `configure_low_latency_encoding` and `time_encoding`: aiortc's constants and encoder
    classes as they were imported (encoders already made keep their bitrate cap until re-created)."""
    global _encode_observer, _fast_vp8, _reference_bitrate
    _encode_observer, _fast_vp8, _reference_bitrate = None, False, None
    for name, (module, encoder) in _CODECS.items():
        constants, attributes = _STOCK[name]
        for key, value in constants.items():
            setattr(module, key, value)
        for key, value in attributes.items():
            setattr(encoder, key, value)


def _install() -> None:
    for _, encoder in _CODECS.values():
        if not getattr(encoder.encode, "_mirror_wrapped", False):
            encoder.encode = _wrap(encoder.encode)
        if not isinstance(encoder.__dict__["target_bitrate"], _SizeCappedBitrate):
            encoder.target_bitrate = _size_capped(encoder.__dict__["target_bitrate"])


class _SizeCappedBitrate(property):
    """aiortc's `target_bitrate`, read no higher than the bitrate for the size being encoded."""


def _size_capped(wish: property) -> property:
    def fget(self) -> int:
        cap = getattr(self, "mirror_bitrate_cap", None)
        return wish.fget(self) if cap is None else min(wish.fget(self), cap)

    return _SizeCappedBitrate(fget, wish.fset, doc=wish.__doc__)


def _wrap(encode):
    @functools.wraps(encode)
    def mirror_encode(self, frame, force_keyframe: bool = False):
        started = time.perf_counter()
        try:
            reference = _reference_bitrate
            self.mirror_bitrate_cap = None if reference is None else bitrate_for(frame.width, frame.height, reference)
            if _fast_vp8 and isinstance(self, vpx.Vp8Encoder):
                _open_vp8(self, frame)
            return encode(self, frame, force_keyframe)
        finally:
            observer = _encode_observer
            if observer is not None:
                observer(time.perf_counter() - started)

    mirror_encode._mirror_wrapped = True  # type: ignore[attr-defined]
    return mirror_encode


def _open_vp8(encoder: vpx.Vp8Encoder, frame: av.VideoFrame) -> None:
    """Give `encoder` a libvpx context opened with FAST_VP8_OPTIONS whenever aiortc's encode()
    would create one (no context yet, a new frame size, or the bitrate moved by more than 10 %);
    aiortc then encodes with it as with its own."""
    codec, bitrate = encoder.codec, encoder.target_bitrate
    if codec is not None and (codec.width, codec.height) == (frame.width, frame.height) and (
        abs(bitrate - codec.bit_rate) / codec.bit_rate <= 0.1
    ):
        return
    codec = av.CodecContext.create("libvpx", "w")
    codec.width, codec.height = frame.width, frame.height
    codec.bit_rate = bitrate
    codec.pix_fmt = "yuv420p"
    codec.gop_size = 3000  # keyframes on request only
    codec.qmin, codec.qmax = 2, 56
    options = {  # aiortc 1.16's options, with FAST_VP8_OPTIONS applied
        "bufsize": str(bitrate),
        "deadline": "realtime",
        "lag-in-frames": "0",
        "minrate": str(bitrate),
        "maxrate": str(bitrate),
        "overshoot-pct": "15",
        "partitions": "0",
        "static-thresh": "1",
        "undershoot-pct": "100",
        **FAST_VP8_OPTIONS,
    }
    codec.options = options
    codec.thread_count = vpx.number_of_threads(frame.width * frame.height, multiprocessing.cpu_count())
    encoder.codec = codec
    encoder.mirror_options = options  # libvpx consumes `codec.options` when it opens; kept for inspection
