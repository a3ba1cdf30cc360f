"""`mirror bench latency`: glass-to-glass latency over WebRTC on loopback, stock vs marker-bit receive.

An aiortc client plays the camera: the astronaut test clip (640×480, 30 fps, swaying), brightened
for a few frames every `--period` seconds (a "flash": a step in brightness, like a light switched
on; the person stays visible so pose and segmentation keep working). It measures, on one clock,
    sent     = the flash's first frame handed to the client's sender (its track's recv() returns)
    seen     = the first returned frame, decoded by the client, whose centre is bright
and reports seen − sent per flash. A dropped frame on the way shows up as added latency, as it
would to a person in front of the mirror.

Configurations (all in one run, so ratios compare like with like on this noisy 2-core box):
- the real server (`mirror serve` in a subprocess, MIRROR_* env) with stages passthrough,
  skeleton and composite, each with the stock aiortc receive path and with marker-bit completion
  (MIRROR_RTP_MARKER_COMPLETION); the client's receiver has the fix in both;
- one "client stock" row: server fixed, the client's receiver stock;
- "bare echo": an in-process aiortc peer that sends back what it decodes (no HTTP, no pipeline):
  the transport's own floor.
A configuration may name its scene after an `@` (SCENES: empty, style, theme, theme+style), so the
styled mirror and the same scene without a style are measured in one run; `--camera 1280x720`
plays the clip in HD. Every row also gives the size the client received and the frames per second.
Media never leaves 127.0.0.1: the client and the server offer only loopback host candidates, and
the bench refuses to measure if the answer carries any other address.
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import fractions
import json
import logging
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from typing import Awaitable, Callable

import av
import numpy as np
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from tools import processes
from tools.bench.report import percentile_ms, print_table, ratio
from mirror.rtc.jitter import enable_marker_completion, marker_buffer
from mirror.server.settings import Settings

log = logging.getLogger(__name__)

FPS = 30
CLOCK = 90000
FLASH_FRAMES = 4  # the step lasts 133 ms, then the clip returns to normal brightness
FLASH_WHITE = 0.55  # flash = image · 0.45 + white · 0.55: centre luma rises by ~70 levels
BRIGHT_STEP = 30  # luma rise (0..255) over the recent baseline that counts as "flash seen"
# The neural repaint compresses the flash's +70 luma levels: the first painted flash frame rises
# 9.6–15 levels over the baseline (20 flashes, Van Gogh, empty scene). At 12, a third of the flashes
# went unseen and the row's p95 rested on the rest; at 8 all are seen, while between flashes the
# painted centre never rose more than 5.4 levels over its baseline (276 frames).
NEURAL_BRIGHT_STEP = 8
LOOPBACK = "127.0.0.1"
SCENE_COMMAND = "put me in game of thrones and give me a sword and a crown and make it look like van gogh"
# Scenes a configuration can name (RENDERER:fixed@SCENE): with and without a painted style.
SCENES = {
    "empty": None,
    "style": "make it look like van gogh",
    "theme": "put me in game of thrones and give me a blue sword and a crown",
    "theme+style": "put me in game of thrones and give me a blue sword and a crown and make it look like van gogh",
}
DEFAULT_CONFIGS = (
    "echo:fixed",
    "passthrough:stock", "passthrough:fixed",
    "skeleton:stock", "skeleton:fixed",
    "composite:stock", "composite:fixed",
    "composite+neural:fixed",
    "passthrough:fixed:client-stock",
)


# ---------------------------------------------------------------- the camera
class FlashClip(MediaStreamTrack):
    """The test clip at 30 fps; `arm()` starts a flash every `period` seconds, recording when each
    flash's first frame leaves recv()."""

    kind = "video"

    def __init__(self, width: int = 640, height: int = 480) -> None:
        super().__init__()
        from tools.testclip import clip_frames

        normal, bright = [], []
        for clip in clip_frames(90, width, height):
            normal.append(_video_frame(clip.image))
            flash = (clip.image.astype(np.float32) * (1 - FLASH_WHITE) + 255 * FLASH_WHITE).astype(np.uint8)
            bright.append(_video_frame(flash))
        self._normal, self._bright = normal, bright
        self._start: float | None = None
        self._index = 0
        self._flash_every = 0
        self._flash_from = 0
        self._flashes = 0
        self.flash_sent: list[float] = []  # monotonic time each flash's first frame was handed over

    def arm(self, flashes: int, period: float) -> None:
        self._flash_every = max(FLASH_FRAMES * 2, round(period * FPS))
        self._flash_from = self._index + 1
        self._flashes = flashes

    async def recv(self) -> av.VideoFrame:
        if self.readyState != "live":
            raise MediaStreamError
        if self._start is None:
            self._start = time.monotonic()
        else:
            self._index += 1
            await asyncio.sleep(max(0.0, self._start + self._index / FPS - time.monotonic()))
        index = self._index
        number, offset = divmod(index - self._flash_from, self._flash_every or 1)
        flashing = self._flash_every > 0 and 0 <= number < self._flashes and offset < FLASH_FRAMES
        frame = (self._bright if flashing else self._normal)[index % len(self._normal)]
        frame.pts = index * (CLOCK // FPS)
        frame.time_base = fractions.Fraction(1, CLOCK)
        if flashing and offset == 0:
            self.flash_sent.append(time.monotonic())
        return frame


def _video_frame(rgb: np.ndarray) -> av.VideoFrame:
    return av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format="yuv420p")


# ---------------------------------------------------------------- the eye
@dataclass
class FlashDetector:
    """Watches returned frames: the first frame whose centre is `step` brighter than the
    recent baseline is a flash coming back; it re-arms once the frame is dark again."""

    sent: list[float]  # shared with FlashClip.flash_sent
    step: float = BRIGHT_STEP
    latencies: list[float] = field(default_factory=list)
    frames: int = 0
    _recent: list[float] = field(default_factory=list)
    _bright: bool = False
    _matched: int = 0  # flashes already attributed

    def see(self, frame: av.VideoFrame, at: float) -> None:
        self.frames += 1
        luma = frame.to_ndarray(format="yuv420p")[: frame.height]  # the Y plane, (H, W)
        h, w = luma.shape
        level = float(luma[h // 4: 3 * h // 4, w // 4: 3 * w // 4].mean())
        # The baseline is the median of the last 15 frames, flashes included: a flash is ~3 of them
        # and cannot move it, while a lasting change (a backdrop or a style fading in) moves it
        # within ~8 frames instead of being mistaken for one endless flash.
        baseline = float(np.median(self._recent)) if self._recent else None
        self._recent = (self._recent + [level])[-15:]
        if baseline is None:
            return
        if level > baseline + self.step:
            if not self._bright:
                # The newest flash sent before this frame that has not been matched yet.
                candidates = [i for i, t in enumerate(self.sent) if t <= at and i >= self._matched]
                if candidates:
                    newest = candidates[-1]
                    self.latencies.append(at - self.sent[newest])
                    self._matched = newest + 1
            self._bright = True
        elif level < baseline + self.step / 2:
            self._bright = False  # clearly dark again: ready for the next flash


# ---------------------------------------------------------------- the peers
Signal = Callable[[RTCSessionDescription], Awaitable[RTCSessionDescription]]


@dataclass
class Outcome:
    latencies: list[float]
    flashes_sent: int
    frames_seen: int
    client_marker_frames: int | None  # frames the client's receiver released on the marker bit
    note: str = ""
    size: tuple[int, int] = (0, 0)  # of the last frame received
    fps: float = 0.0  # frames received per second while flashing


async def measure(signal: Signal, *, flashes: int, period: float, client_fix: bool, warmup: float = 1.5,
                  command: str | None = None, bright_step: float = BRIGHT_STEP,
                  camera: tuple[int, int] = (640, 480)) -> Outcome:
    """Connect an aiortc client through `signal` (offer → answer), play the flash clip and time
    each flash's return."""
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    clip = FlashClip(*camera)
    size = [0, 0]
    detector = FlashDetector(clip.flash_sent, step=bright_step)
    first_frame = asyncio.get_running_loop().create_future()
    try:
        transceiver = pc.addTransceiver(clip, direction="sendrecv")
        if client_fix:
            enable_marker_completion(transceiver.receiver)
        channel = pc.createDataChannel("mirror")
        if command:
            channel.on("open", lambda: channel.send(json.dumps({"v": 1, "type": "command", "text": command})))

        async def watch(track: MediaStreamTrack) -> None:
            while True:
                try:
                    frame = await track.recv()
                except MediaStreamError:
                    return
                at = time.monotonic()
                if not first_frame.done():
                    first_frame.set_result(at)
                size[:] = frame.width, frame.height
                detector.see(frame, at)

        watcher = None

        @pc.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            nonlocal watcher
            if track.kind == "video":
                watcher = asyncio.ensure_future(watch(track))

        await pc.setLocalDescription(await pc.createOffer())
        answer = await signal(pc.localDescription)
        foreign = _non_loopback_candidates(answer.sdp) | _non_loopback_candidates(pc.localDescription.sdp)
        if foreign:
            raise RuntimeError(f"media would leave loopback: candidates on {sorted(foreign)}")
        await pc.setRemoteDescription(answer)
        await asyncio.wait_for(first_frame, timeout=20)
        await asyncio.sleep(warmup)  # encoders settle, the scene command is applied, pose is tracking
        clip.arm(flashes, period)
        armed_at, frames_before = time.monotonic(), detector.frames
        deadline = time.monotonic() + flashes * (period + 0.1) + 3
        while time.monotonic() < deadline:
            if len(clip.flash_sent) >= flashes and time.monotonic() - clip.flash_sent[-1] > 1.0:
                break
            await asyncio.sleep(0.1)
        fixed = marker_buffer(transceiver.receiver)
        fps = (detector.frames - frames_before) / (time.monotonic() - armed_at)
        return Outcome(detector.latencies, len(clip.flash_sent), detector.frames,
                       fixed.marker_frames if fixed else None, size=(size[0], size[1]), fps=fps)
    finally:
        clip.stop()
        if watcher is not None:
            watcher.cancel()
        await pc.close()


def _non_loopback_candidates(sdp: str) -> set[str]:
    addresses = set()
    for line in sdp.splitlines():
        if line.startswith("a=candidate:"):
            parts = line.split()
            if len(parts) > 4 and parts[4] != LOOPBACK:
                addresses.add(parts[4])
    return addresses


class EchoPeer:
    """An aiortc peer that sends back every frame it decodes: the transport with no server work."""

    def __init__(self, marker_completion: bool) -> None:
        self.marker_completion = marker_completion
        self.pcs: list[RTCPeerConnection] = []
        self.receivers: list = []  # video receivers, for their marker-completion counters

    async def __call__(self, offer: RTCSessionDescription) -> RTCSessionDescription:
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.pcs.append(pc)

        @pc.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            if track.kind != "video":
                return
            receiver = next(t.receiver for t in pc.getTransceivers() if t.receiver.track is track)
            self.receivers.append(receiver)
            if self.marker_completion:
                enable_marker_completion(receiver)
            pc.addTrack(_Relay(track))

        await pc.setRemoteDescription(offer)
        await pc.setLocalDescription(await pc.createAnswer())
        return pc.localDescription

    async def close(self) -> None:
        await asyncio.gather(*(pc.close() for pc in self.pcs))


class _Relay(MediaStreamTrack):
    kind = "video"

    def __init__(self, source: MediaStreamTrack) -> None:
        super().__init__()
        self._source = source

    async def recv(self):
        return await self._source.recv()


# ---------------------------------------------------------------- the real server
class ServerProcess:
    """`mirror serve` on a free loopback port, configured through MIRROR_* like in production."""

    def __init__(self, stages: str, marker_completion: bool, log_path: str, env: dict[str, str] | None = None) -> None:
        """env: MIRROR_* settings over these defaults (speech off)."""
        self.port = _free_port()
        env = {**os.environ, "MIRROR_SPEECH": "false", **(env or {})}
        env.update({
            "MIRROR_PORT": str(self.port), "MIRROR_HOST": LOOPBACK, "MIRROR_STAGES": stages,
            "MIRROR_RTP_MARKER_COMPLETION": "true" if marker_completion else "false",
            "MIRROR_ICE_ADDRESSES": LOOPBACK,
        })
        self._log = open(log_path, "w")
        self.process = subprocess.Popen([sys.executable, "-m", "tools.cli", "serve"], env=env,
                                        stdout=self._log, stderr=subprocess.STDOUT)
        self.log_path = log_path

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    async def ready(self, timeout: float = 60) -> None:
        import httpx

        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient() as client:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise RuntimeError(f"server exited with {self.process.returncode}: {self.tail(1)} "
                                       f"(log: {self.log_path})")
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get(self.url + "/healthz", timeout=2)).status_code == 200:
                        return
                await asyncio.sleep(0.2)
        raise RuntimeError(f"server not ready after {timeout:.0f} s (log: {self.log_path})")

    async def signal(self, offer: RTCSessionDescription) -> RTCSessionDescription:
        import httpx

        async with httpx.AsyncClient() as client:
            response = await client.post(self.url + "/offer", json={"sdp": offer.sdp, "type": offer.type}, timeout=30)
        if response.status_code != 200:
            raise RuntimeError(f"/offer answered {response.status_code}: {response.text[:300]}")
        body = response.json()
        return RTCSessionDescription(sdp=body["sdp"], type=body["type"])

    async def server_metrics(self) -> dict[str, float]:
        """Mean per-frame server latency (received → handed to the encoder) and per-stage means, ms."""
        import httpx

        async with httpx.AsyncClient() as client:
            text = (await client.get(self.url + "/metrics", timeout=5)).text
        return _histogram_means(text)

    def tail(self, lines: int = 15) -> str:
        self._log.flush()
        with open(self.log_path) as f:
            return "".join(f.readlines()[-lines:]).strip()

    def stop(self) -> None:
        processes.stop(self.process, 10)
        self._log.close()


def _histogram_means(text: str) -> dict[str, float]:
    sums: dict[str, float] = {}
    counts: dict[str, float] = {}
    for line in text.splitlines():
        m = re.match(r'mirror_(frame_latency|stage)_seconds_(sum|count)(?:\{stage="([^"]+)"\})? ([0-9.e+-]+)$', line)
        if m:
            key = "server" if m.group(1) == "frame_latency" else m.group(3)
            (sums if m.group(2) == "sum" else counts)[key] = float(m.group(4))
    return {k: sums[k] / counts[k] * 1000 for k in sums if counts.get(k)}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------- the bench
@dataclass
class Config:
    renderer: str  # "echo" or the server's MIRROR_STAGES
    server_fix: bool
    client_fix: bool = True
    scene: str | None = None  # a SCENES name; None = the --say command

    @classmethod
    def parse(cls, text: str) -> "Config":
        text, _, scene = text.partition("@")
        parts = text.split(":")
        if len(parts) not in (2, 3) or parts[1] not in ("stock", "fixed") or parts[2:] not in ([], ["client-stock"]):
            raise ValueError(f"bad configuration {text!r}: use RENDERER:stock|fixed[:client-stock][@SCENE]")
        if scene and scene not in SCENES:
            raise ValueError(f"unknown scene {scene!r}: choose from {sorted(SCENES)}")
        return cls(parts[0], parts[1] == "fixed", not parts[2:], scene or None)

    @property
    def label(self) -> str:
        return (f"{self.renderer}:{'fixed' if self.server_fix else 'stock'}" + ("" if self.client_fix else ":client-stock")
                + (f"@{self.scene}" if self.scene else ""))


@dataclass
class Row:
    config: Config
    outcome: Outcome | None = None
    server: dict[str, float] = field(default_factory=dict)
    error: str = ""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--flashes", type=int, default=20, help="flashes per configuration")
    parser.add_argument("--period", type=float, default=0.8, help="seconds between flashes")
    parser.add_argument("--configs", default=",".join(DEFAULT_CONFIGS),
                        help="comma-separated RENDERER:stock|fixed[:client-stock]; RENDERER is echo or "
                             "a MIRROR_STAGES value with '+' between stages (e.g. composite+neural)")
    parser.add_argument("--say", default=SCENE_COMMAND, help="the scene command the client sends once connected")
    parser.add_argument("--no-command", action="store_true", help="send no scene command (an empty scene)")
    parser.add_argument("--camera", default="640x480", help="the client camera's size, e.g. 1280x720")


def run(args: argparse.Namespace) -> int:
    from mirror.rtc.encoder import configure_low_latency_encoding
    from mirror.rtc.jitter import check_supported
    from mirror.rtc.loopback import restrict_host_addresses

    logging.getLogger("aioice").setLevel(logging.WARNING)  # one line per ICE check otherwise
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request
    configs = [Config.parse(c.strip()) for c in args.configs.split(",") if c.strip()]
    settings = Settings.load()
    check_supported()
    configure_low_latency_encoding(settings)  # the client encodes like the server does
    restrict_host_addresses([LOOPBACK])
    started = time.monotonic()
    rows = asyncio.run(_run_all(configs, args))
    _report(rows, args)
    print(f"\nbench took {time.monotonic() - started:.0f} s")
    return 0 if any(r.outcome and r.outcome.latencies for r in rows) else 1


async def _run_all(configs: list[Config], args: argparse.Namespace) -> list[Row]:
    rows = []
    logdir = tempfile.mkdtemp(prefix="mirror-bench-latency-")
    for config in configs:
        row = Row(config)
        rows.append(row)
        print(f"measuring {config.label} ...", flush=True)
        try:
            if config.renderer == "echo":
                echo = EchoPeer(config.server_fix)
                try:
                    row.outcome = await measure(echo, flashes=args.flashes, period=args.period,
                                                client_fix=config.client_fix)
                finally:
                    await echo.close()
            else:
                stages = config.renderer.replace("+", ",")
                server = ServerProcess(stages, config.server_fix, os.path.join(logdir, f"{config.label}.log"))
                try:
                    await server.ready()
                    step = NEURAL_BRIGHT_STEP if "neural" in stages else BRIGHT_STEP
                    command = SCENES[config.scene] if config.scene else None if args.no_command else args.say
                    camera = tuple(int(v) for v in args.camera.split("x"))
                    row.outcome = await measure(server.signal, flashes=args.flashes, period=args.period, bright_step=step,
                                                client_fix=config.client_fix, command=command, camera=camera)
                    row.server = await server.server_metrics()
                finally:
                    server.stop()
        except Exception as exc:  # one failing configuration must not hide the others
            log.debug("configuration %s failed", config.label, exc_info=True)
            row.error = f"{type(exc).__name__}: {exc}"[:300]
    return rows


def _report(rows: list[Row], args: argparse.Namespace) -> None:
    def stat(row: Row | None, q: float) -> float:
        return percentile_ms(row.outcome.latencies, q) if row and row.outcome else float("nan")

    by_label = {r.config.label: r for r in rows}
    table = []
    for row in rows:
        c = row.config
        if row.error:
            table.append([c.label, "", "", "", "", "", "", "", "", "", "", row.error])
            continue
        twin = by_label.get(f"{c.renderer}:stock") if c.server_fix and c.client_fix else None
        base = by_label.get(f"passthrough:{'fixed' if c.server_fix else 'stock'}")
        over = (f"+{stat(row, 50) - stat(base, 50):.1f} / +{stat(row, 95) - stat(base, 95):.1f}"
                if base and base is not row and c.renderer not in ("echo", "passthrough") and c.client_fix else "")
        o = row.outcome
        server = f"{row.server['server']:.1f}" if "server" in row.server else ""
        table.append([
            c.label, "fixed" if c.server_fix else "stock", "fixed" if c.client_fix else "stock",
            f"{len(o.latencies)}/{o.flashes_sent}", stat(row, 50), stat(row, 95),
            f"{ratio(stat(row, 50), stat(twin, 50))} / {ratio(stat(row, 95), stat(twin, 95))}" if twin else "",
            over, server, f"{o.size[0]}x{o.size[1]}", f"{o.fps:.1f}", "",
        ])
    print_table(
        f"Glass-to-glass on loopback, {args.camera.replace('x', '×')} VP8 camera at 30 fps, {args.flashes} flashes "
        f"every {args.period:.1f} s (ms; client = aiortc)",
        ["config", "server rx", "client rx", "seen", "p50", "p95", "fixed/stock p50 / p95",
         "− passthrough p50 / p95", "server mean", "received", "fps", "error"],
        table,
    )
    _report_styled(rows)
    _report_stages(rows)


def _report_styled(rows: list[Row]) -> None:
    """The painted style's cost in latency: each @style row against the same stages and scene
    without the style, measured in this run."""
    pairs = [("empty", "style"), ("theme", "theme+style")]
    by_label = {r.config.label: r for r in rows if r.outcome and r.outcome.latencies}
    table = []
    for row in rows:
        for plain, styled in pairs:
            if row.config.scene != styled:
                continue
            base = by_label.get(row.config.label.replace(f"@{styled}", f"@{plain}"))
            if base is None or row.config.label not in by_label:
                continue
            p95 = percentile_ms(row.outcome.latencies, 95) - percentile_ms(base.outcome.latencies, 95)
            table.append([row.config.label, base.config.label, percentile_ms(base.outcome.latencies, 95),
                          percentile_ms(row.outcome.latencies, 95), f"{p95:+.1f}",
                          "yes" if p95 <= 1000 / FPS else "no"])
    if table:
        print_table("The style's added lag (p95 ms): at most one frame interval (33 ms) is the target",
                    ["styled", "same without style", "p95 without", "p95 styled", "added", "≤ 33 ms"], table)


# The server's steps in the order a frame meets them; anything else the server reports comes after.
STEP_ORDER = ("decode", "wait_input", "from_yuv", "pose_wait", "skeleton", "composite", "neural",
              "wait_after_composite", "to_yuv", "wait_output", "encode", "pose")


def _report_stages(rows: list[Row]) -> None:
    """Mean ms per step from the server's /metrics, one row per server configuration."""
    measured = [r for r in rows if r.server]
    if not measured:
        return
    steps = {k for r in measured for k in r.server if k != "server"}
    columns = [s for s in STEP_ORDER if s in steps] + sorted(steps - set(STEP_ORDER))
    print_table(
        "Server steps, mean ms per frame (/metrics): decode = complete frame out of the jitter buffer → "
        "decoded on the event loop; wait_* = time in a latest-frame slot; pose = a pose run in its own "
        "thread, beside the frame path (pose_wait = what the frame waited for it)",
        ["config", "received→sent"] + columns,
        [[r.config.label, r.server.get("server", float("nan"))] + [r.server.get(c, float("nan")) for c in columns]
         for r in measured],
    )
