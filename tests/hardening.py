"""What the hardening tests (tests/server/, tests/web/ and tests/session/) drive: real servers on loopback (the app in
a thread, or `mirror serve` itself in a process, where how it runs is what is tested) and the
clients strangers are: a well-behaved page, a page that vanishes mid-session, one that goes away
half-way through connecting, and raw offers.

All of them are real aiortc peers (aioice for ICE, aiortc for DTLS and media); "vanishing" closes
the client's UDP sockets without a word, as a killed process or a dropped network would, so the
server hears nothing more.
"""
from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import av
import httpx
import numpy as np
import psutil
from aiortc import RTCConfiguration, RTCDataChannel, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import AudioStreamTrack, MediaStreamError, VideoStreamTrack

from mirror.server.settings import Settings
from tools import processes
from tests.live_server import metric  # noqa: F401 (re-exported: the hardening tests read /metrics with it)

LOOPBACK = "127.0.0.1"


class SmallCamera(VideoStreamTrack):
    """A 320×240 grey camera at 30 fps: real frames, cheap to encode for many clients on 2 cores."""

    def __init__(self) -> None:
        super().__init__()
        self._frame = av.VideoFrame.from_ndarray(np.full((240, 320, 3), 128, np.uint8), format="rgb24")

    async def recv(self):
        pts, time_base = await self.next_timestamp()
        frame = self._frame.reformat(format="yuv420p")
        frame.pts, frame.time_base = pts, time_base
        return frame


async def make_offer(*, audio_tracks: int = 0, data: bool = True) -> tuple[RTCPeerConnection, RTCDataChannel | None]:
    """A peer with a camera, `audio_tracks` microphones (aiortc's silent track) and a data channel,
    its offer already set as local description (candidates gathered)."""
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    pc.addTransceiver(SmallCamera(), direction="sendrecv")
    for _ in range(audio_tracks):
        pc.addTransceiver(AudioStreamTrack(), direction="sendonly")
    channel = pc.createDataChannel("events") if data else None
    await pc.setLocalDescription(await pc.createOffer())
    return pc, channel


async def post_offer(url: str, sdp: str, *, ticket: str | None = None, timeout: float = 30) -> httpx.Response:
    body = {"sdp": sdp, "type": "offer"}
    if ticket:
        body["ticket"] = ticket
    async with httpx.AsyncClient() as client:
        return await client.post(url + "/offer", json=body, timeout=timeout)


@dataclass
class Page:
    """A connected client: counts the frames it gets back and keeps the events it is sent."""

    pc: RTCPeerConnection
    session: str
    channel: RTCDataChannel | None
    frames: int = 0
    last_frame_at: float = 0.0
    events: list[dict] = field(default_factory=list)
    raw_events: list[str] = field(default_factory=list)
    invalid_json: list[str] = field(default_factory=list)  # events that strict JSON parsing refused
    _tasks: list[asyncio.Task] = field(default_factory=list)

    async def wait_frames(self, count: int, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while self.frames < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"only {self.frames} of {count} frames came back in {timeout} s")
            await asyncio.sleep(0.05)

    async def wait_event(self, kind: str, timeout: float = 10, after: int = 0) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            for event in self.events[after:]:
                if event.get("type") == kind:
                    return event
            if time.monotonic() > deadline:
                raise TimeoutError(f"no {kind!r} event in {timeout} s; got {[e.get('type') for e in self.events]}")
            await asyncio.sleep(0.02)

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await self.pc.close()

    async def vanish(self) -> None:
        """Gone without a word: the client's sockets close, no DTLS close_notify, no RTCP BYE."""
        await close_ice_silently(self.pc)
        await self.close()


async def connect_page(url: str, *, audio_tracks: int = 0, timeout: float = 20, post=None) -> Page:
    """Connect like the page does and wait until the first mirrored frame is back. `post(url, sdp)`
    sends the offer (default: once, with post_offer; a fleet test's retries as the page does)."""
    pc, channel = await make_offer(audio_tracks=audio_tracks)
    page: Page | None = None
    try:
        response = await (post or post_offer)(url, pc.localDescription.sdp)
        response.raise_for_status()
        answer = response.json()
        page = Page(pc, answer["session"], channel)
        if channel is not None:
            @channel.on("message")
            def on_message(raw):
                page.raw_events.append(raw)
                try:
                    page.events.append(json.loads(raw, parse_constant=_no_constants))
                except ValueError:
                    page.invalid_json.append(raw)

        @pc.on("track")
        def on_track(track):
            if track.kind == "video":
                page._tasks.append(asyncio.ensure_future(_count_frames(page, track)))

        await pc.setRemoteDescription(RTCSessionDescription(sdp=answer["sdp"], type="answer"))
        await page.wait_frames(1, timeout)
        return page
    except BaseException:
        if page is not None:
            await page.close()
        else:
            await pc.close()
        raise


def _no_constants(name: str):
    raise ValueError(f"the server sent invalid JSON: {name}")


async def _count_frames(page: Page, track) -> None:
    while True:
        try:
            await track.recv()
        except MediaStreamError:
            return
        page.frames += 1
        page.last_frame_at = time.monotonic()


async def close_ice_silently(pc: RTCPeerConnection) -> None:
    """Close every ICE connection of `pc` (its UDP sockets) without sending anything."""
    for transport in _ice_transports(pc):
        await transport._connection.close()  # noqa: SLF001 - aioice: stops consent checks, closes sockets


def _ice_transports(pc: RTCPeerConnection) -> list:
    transports = [t.receiver.transport.transport for t in pc.getTransceivers()]
    if pc.sctp is not None:
        transports.append(pc.sctp.transport.transport)
    unique = []
    for t in transports:
        if t not in unique:
            unique.append(t)
    return unique


async def half_connect(url: str) -> str:
    """Post an offer, answer the server's first ICE check, then vanish: the server has a peer that
    proved reachable once and then never nominates a pair nor starts DTLS. Returns the session id."""
    pc, _ = await make_offer()
    try:
        connection = _ice_transports(pc)[0]._connection  # noqa: SLF001 - the bundled aioice agent
        answered = asyncio.Event()
        answer_check = connection.request_received

        def request_received(message, addr, protocol):
            answer_check(message, addr, protocol)  # aioice answers checks even before connect()
            answered.set()

        connection.request_received = request_received
        response = await post_offer(url, pc.localDescription.sdp)
        response.raise_for_status()
        await asyncio.wait_for(answered.wait(), 10)
        await connection.close()  # gone: sockets closed, nothing more on the wire
        return response.json()["session"]
    finally:
        await pc.close()


# ---------------------------------------------------------------- servers
def free_port() -> int:
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


def settings_from_env(**env) -> Settings:
    """The cheapest real mirror (passthrough, no speech, no embeddings, media on loopback), with
    MIRROR_<NAME> values: a server that predates a setting ignores it rather than failing to start,
    so the same test shows what the old code did."""
    environ = {"MIRROR_" + k.upper(): str(v) for k, v in env.items()}
    return Settings.load(environ=environ).replace(speech=False, embeddings=False, stages=("passthrough",),
                                                  ice_addresses=(LOOPBACK,), port=free_port())


class ServeProcess:
    """`mirror serve` in its own process, configured through MIRROR_* as in production: what a
    soak measures (threads, fds, RSS) is the server's alone, with the run command's allocator."""

    def __init__(self, **settings) -> None:
        self.port = free_port()
        self.clips = Path(tempfile.mkdtemp(prefix="mirror-clips-"))
        env = {k: v for k, v in os.environ.items() if not k.startswith("MIRROR_")}
        env.update({"MIRROR_HOST": LOOPBACK, "MIRROR_PORT": str(self.port), "MIRROR_STAGES": "passthrough",
                    "MIRROR_SPEECH": "false", "MIRROR_EMBEDDINGS": "false", "MIRROR_CLIPS_DIR": str(self.clips),
                    # SIGTERM drains: a test's server with sessions left (half-connected ones,
                    # say) stops a second later; tests of the drain set their own.
                    "MIRROR_DRAIN_S": "1", "MIRROR_LOG_LEVEL": "WARNING"})
        env.update({"MIRROR_" + k.upper(): str(v) for k, v in settings.items()})
        self.log = tempfile.NamedTemporaryFile("w+", prefix="mirror-serve-", suffix=".log", delete=False)
        self.process = subprocess.Popen([sys.executable, "-m", "tools.cli", "serve"], env=env,
                                        stdout=self.log, stderr=subprocess.STDOUT)
        self.proc = psutil.Process(self.process.pid)

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def __enter__(self) -> "ServeProcess":
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"mirror serve exited with {self.process.returncode}: {self.tail()}")
            try:
                if httpx.get(self.url + "/healthz", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"mirror serve not ready in 90 s: {self.tail()}")

    def __exit__(self, *exc) -> None:
        self.stop()

    def stop(self) -> None:
        processes.stop(self.process, 15)
        self.log.close()
        os.unlink(self.log.name)
        shutil.rmtree(self.clips, ignore_errors=True)

    def tail(self, lines: int = 20) -> str:
        self.log.flush()
        with open(self.log.name) as f:
            return "".join(f.readlines()[-lines:])

    def usage(self) -> tuple[int, int, float]:
        """(OS threads, open fds, RSS in MB) of the server process."""
        return self.proc.num_threads(), self.proc.num_fds(), self.proc.memory_info().rss / 2**20

    async def metrics(self) -> str:
        async with httpx.AsyncClient() as client:
            return (await client.get(self.url + "/metrics", timeout=5)).text


async def wait_until(condition, timeout: float, what: str, step: float = 0.1):
    """Poll `condition` (sync or async) until it is truthy; its value, or TimeoutError naming `what`."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not within {timeout} s")
        await asyncio.sleep(step)
