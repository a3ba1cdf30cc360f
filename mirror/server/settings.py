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
    # The operator's routes (clip list, /status) need `Authorization: Bearer <this>`; empty = refused.
    admin_token: str = ""

    # --- WebRTC ---
    # Host candidate addresses the server offers; empty = every interface (aioice default).
    # Tests and benches pin this to 127.0.0.1 so media stays on loopback.
    ice_addresses: tuple[str, ...] = ()
    # Complete received video frames on the RTP marker bit instead of waiting for the next frame.
    rtp_marker_completion: bool = True
    # The encoder's start and cap at 640×480; other output sizes scale by √pixels
    # (1280×720: 2.6 Mbit/s), so a quality step moves the bitrate with the size (mirror/rtc/encoder.py).
    video_bitrate: int = 1_500_000
    # VP8 at libvpx cpu-used -12 without its denoiser: 3.3 ms per 640×480 encode instead of 6.7 (mirror/rtc/encoder.py).
    fast_vp8: bool = True

    # --- frame pipeline ---
    # The output follows the camera's size up to max_width × max_height (HD), stepping down to
    # 960×540 and then to width × height when frames take longer than the frame budget
    # (mirror/frames/quality.py); pose, matte and the style network keep their small working sizes.
    width: int = 640
    height: int = 480
    max_width: int = 1280
    max_height: int = 720
    adaptive_quality: bool = True
    target_fps: float = 30.0
    # Ordered render stages after pose, by name from mirror/render/registry.py, or "auto": the best
    # chain this machine can run (composite + diffusion with a GPU and weights, else composite + neural).
    stages: tuple[str, ...] = ("auto",)
    # Run pose (+ matte) on every n-th frame; the renderer reuses the latest keypoints in between.
    pose_every: int = 2
    # Pose in its own thread beside the frame path: frames take the newest finished pose instead of
    # waiting ~25 ms for their own (props and matte edge follow one pose run later; mirror/frames/posing.py).
    pose_thread: bool = True

    # --- neural repaint (CPU style network) ---
    # 192×144, not 224×168: the network's ~19 ms instead of ~28 ms is what keeps the styled
    # mirror's lag near one frame on 2 cores (BENCHMARKS.md, issue 24); the look barely changes.
    neural_width: int = 192
    neural_height: int = 144
    neural_threads: int = 1
    neural_stabilize: bool = True

    # --- diffusion (one-step img2img on a GPU; mirror/render/diffusion) ---
    # A local diffusers-layout directory (`mirror weights fetch`), "tiny": random-weight tiny
    # models built in code, so the whole path runs on any machine (tests, CPU demos), or "random":
    # the real architectures with random weights (speed only).
    diffusion_model: str = ""
    diffusion_device: str = "auto"  # cuda when there is one, else cpu
    # The working picture holds about size × size·¾ pixels in the camera's shape, sides multiples
    # of 64 (512: 512×384 at 4:3, 576×320 at 16:9); one engine per process batches every person.
    diffusion_size: int = 512
    # The working shapes captured at start-up (a camera of another shape is drawn at the nearest).
    diffusion_aspects: tuple[str, ...] = ("4:3", "16:9", "3:4", "9:16")
    diffusion_controlnet: bool = True
    controlnet_scale: float = 0.8
    # One step at a fixed timestep: 0.5 with trailing spacing is t≈499 of 1000, the SD-Turbo img2img setting.
    diffusion_strength: float = 0.5
    diffusion_feedback: float = 0.3  # share of the previous output latent blended into the next input
    prompt_blend_frames: int = 8  # a new prompt's embedding is slerped in over this many frames
    diffusion_dtype: str = "auto"  # float16 on cuda, float32 on cpu
    diffusion_compile: bool = True  # capture the step as CUDA graphs at start-up, per shape and batch size (cuda only)
    diffusion_seed: int = 0

    # --- speech ---
    speech: bool = True
    whisper_model: str = "base"  # "base", "tiny.en" or a CTranslate2 whisper directory (speech/models.py)
    whisper_threads: int = 2  # whisper's encoder; its decodes take one thread each, two at once (speech/transcriber.py)
    beam_size: int = 1
    # Silence that ends an utterance: shorter cuts words, longer feels laggy.
    end_silence_ms: int = 300
    max_utterance_s: float = 15.0
    # "Did you mean …?": when whisper's best two readings lead to different scenes with close scores,
    # the page shows the other as a chip for this long, and "yes", its name or a tap switches to it
    # (mirror/session/commands.py); 0 = never ask.
    did_you_mean_s: float = 6.0

    # --- world ---
    embeddings: bool = True

    # --- clips (recorded by "start recording"; mirror/clips/recording.py) ---
    clips_dir: Path = Path("~/.local/share/magic-mirror/clips")
    clip_max_seconds: float = 15.0  # a recording stops by itself after this long
    clip_countdown_s: int = 3  # 3-2-1 on the page before the recording starts
    clip_retention_hours: float = 24.0  # clips older than this are deleted
    clip_quota_mb: int = 2000  # and the oldest go first while the folder is over this
    # The mirror's address as a phone sees it, for the clip's QR code (e.g. https://192.168.1.20:8443);
    # empty = the address the page was loaded from.
    public_url: str = ""
    # The clip index's SQLite journal: "wal" (readers never wait for a writer) where every worker
    # sharing the clips folder runs on one machine; "delete" where the folder is a network volume
    # shared by several machines (WAL's shared memory works on one host only). mirror/clips/store.py
    clip_journal: str = "wal"

    # --- admission and limits (mirror/server/admission.py, mirror/server/lifetime.py, web/signalling.py) ---
    # Beyond max_sessions an offer gets a queue ticket; the page polls with it every queue_poll_s.
    queue_max: int = 50  # tickets at most; more get a plain 503
    queue_poll_s: float = 2.0
    ticket_ttl_s: float = 10.0  # a ticket not polled this long is dropped (its page was closed)
    # ICE + DTLS must be connected this long after the offer (a LAN needs < 2 s), else it is closed.
    connect_timeout_s: float = 15.0
    # No camera frame for this long: the person is gone (tab closed, network dropped, consent lost).
    media_timeout_s: float = 5.0
    max_session_s: float = 0.0  # the longest a session may last; 0 = no limit
    reap_interval_s: float = 1.0  # how often sessions are checked against these deadlines
    # On SIGTERM (or the operator's POST /drain) the mirror stops admitting at once and lets live
    # sessions run this long before it closes them, saves their recordings and exits (web/drain.py).
    # A Kubernetes pod's terminationGracePeriodSeconds must be longer.
    drain_s: float = 60.0
    # Offers per client address: a burst, refilled at a rate (a waiting page polls every queue_poll_s).
    offer_burst: int = 20
    offer_rate_per_s: float = 1.0
    # Data-channel messages per session (the page pings once a second; people type a few commands).
    message_burst: int = 20
    message_rate_per_s: float = 10.0
    # Origins besides the mirror's own that may POST /offer, e.g. https://kiosk.example:8443.
    allowed_origins: tuple[str, ...] = ()
    # Balancers (addresses, networks, or "*") whose X-Forwarded-For names the guest; from anyone
    # else the header is ignored. Behind one the per-address offer limit counts guests, not the balancer.
    forwarded_allow_ips: tuple[str, ...] = ("127.0.0.1",)
    # A client has this long to send a request's headers, then this long for its body.
    http_header_timeout_s: float = 10.0
    http_body_timeout_s: float = 10.0
    http_keep_alive_s: int = 5
    http_max_connections: int = 256  # open HTTP connections; more get a 503
    # HTTPS certificate and key: required for any host other than loopback (browsers give the
    # camera only to secure origins). docs/operations.md shows how to make one.
    ssl_certfile: str = ""
    ssl_keyfile: str = ""
    # glibc malloc arenas for the server (0 = glibc's default of 8 per core, which lets a
    # long-running server's memory climb after each session).
    malloc_arena_max: int = 2

    # --- kiosk (`mirror kiosk`, `serve --kiosk`; mirror/session/presence.py) ---
    # Only the person in front of the mirror gives commands, each visitor's scene is forgotten when
    # they leave, and the page is told when someone comes and goes (its attract screen).
    kiosk: bool = False
    # Nobody seen for this long: the person has gone and the page shows its attract screen.
    kiosk_absent_s: float = 10.0
    # Nobody seen for this long: the scene resets to empty. A visitor who steps aside for less keeps
    # their scene; shorter than kiosk_absent_s so the attract screen never invites anyone into a
    # stranger's scene.
    kiosk_reset_s: float = 8.0

    # --- logging ---
    log_level: str = "INFO"  # DEBUG, INFO, WARNING, ERROR

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
        from mirror.render.registry import AUTO, STAGES

        unknown = [s for s in self.stages if s not in STAGES and s != AUTO]
        if unknown or not self.stages or (AUTO in self.stages and len(self.stages) > 1):
            raise ValueError(f"unknown render stage(s) {unknown or list(self.stages)}: name stages from "
                             f"{sorted(STAGES)} in order, or {AUTO!r} alone (MIRROR_STAGES / --stages)")
        if self.width % 2 or self.height % 2 or self.width < 64 or self.height < 64:
            raise ValueError("width and height must be even and at least 64")
        if self.pose_every < 1:
            raise ValueError("pose_every must be >= 1")
        if self.clip_journal not in ("wal", "delete"):
            raise ValueError(f"clip_journal must be 'wal' or 'delete', not {self.clip_journal!r} (MIRROR_CLIP_JOURNAL)")
        if self.drain_s < 0:
            raise ValueError("drain_s must be >= 0 (MIRROR_DRAIN_S)")


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
