"""`mirror bench load`: what one server gives each person as more people use it at once.

For N = 1 … the cap, N aiortc clients connect at once to `mirror serve` (default stages, `auto`,
on loopback) and each plays `mirror bench latency`'s flash clip with its scene command: per
session the frames a second it gets back and the glass-to-glass latency of each flash (the
latency bench's own client, `measure`), and the server's CPU over the window (cores in use, and
per session, and per frame delivered: what a session costs at 30 fps, however starved the box).
With the cap reached, one more offer must be refused cleanly: 503, a queue ticket, Retry-After.

A client's fps here is frames seen from its answer to the end of its run, its connection time
included (~0.1–0.3 s of ~10 s): a slight underestimate, the same for every N. The clients share
this one Python process (one GIL): "clients' cores" near 1 means they, not the server, are the
limit, and the server's CPU per frame is the figure that carries over to a bigger machine.
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import os
import tempfile
import time
from dataclasses import dataclass, field

import httpx
import psutil
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription

from mirror.server.settings import Settings
from tools.bench.latency import (BRIGHT_STEP, LOOPBACK, NEURAL_BRIGHT_STEP, SCENE_COMMAND, Outcome, ServerProcess,
                                 measure)
from tools.bench.report import percentile_ms, print_table

log = logging.getLogger(__name__)


@dataclass
class Client:
    answered_at: float | None = None
    ended_at: float | None = None
    outcome: Outcome | None = None
    error: str = ""

    @property
    def fps(self) -> float:
        if not self.outcome or self.answered_at is None or self.ended_at is None:
            return float("nan")
        return self.outcome.frames_seen / (self.ended_at - self.answered_at)


@dataclass
class Step:
    n: int
    clients: list[Client]
    wall_s: float
    cpu_s: float  # the server process's user + system time over the step
    client_cpu_s: float  # this process's (the N clients'): on a small box they can saturate first
    refused: dict = field(default_factory=dict)  # the (N+1)-th offer, at the cap

    @property
    def cores(self) -> float:
        return self.cpu_s / self.wall_s


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--max-sessions", type=int, default=None,
                        help="the server's cap; N runs from 1 to it (default: the setting, MIRROR_MAX_SESSIONS)")
    parser.add_argument("--stages", default="auto", help="the server's stages (default auto, as `mirror serve`)")
    parser.add_argument("--flashes", type=int, default=10, help="flashes per client per step (~0.8 s each)")
    parser.add_argument("--period", type=float, default=0.8, help="seconds between flashes")
    parser.add_argument("--say", default=SCENE_COMMAND, help="the scene command each client sends once connected")


def run(args: argparse.Namespace) -> int:
    from mirror.rtc.encoder import configure_low_latency_encoding
    from mirror.rtc.jitter import check_supported
    from mirror.rtc.loopback import restrict_host_addresses

    logging.getLogger("aioice").setLevel(logging.WARNING)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    settings = Settings.load()
    cap = args.max_sessions or settings.max_sessions
    check_supported()
    configure_low_latency_encoding(settings)  # the clients encode like the server does
    restrict_host_addresses([LOOPBACK])
    started = time.monotonic()
    steps, stages = asyncio.run(_run_all(args, cap))
    _report(steps, stages, args)
    print(f"\nbench took {time.monotonic() - started:.0f} s")
    at_cap = steps[-1].refused if steps else {}
    return 0 if steps and at_cap.get("status") == 503 and at_cap.get("ticket") else 1


async def _run_all(args: argparse.Namespace, cap: int) -> tuple[list[Step], list[str]]:
    # ServerProcess passes this process's environment on: the cap, and room for N offers from one address.
    os.environ["MIRROR_MAX_SESSIONS"] = str(cap)
    os.environ.setdefault("MIRROR_OFFER_BURST", str(max(20, 4 * cap)))
    server = ServerProcess(args.stages, True, os.path.join(tempfile.mkdtemp(prefix="mirror-bench-load-"), "serve.log"))
    steps = []
    try:
        await server.ready()
        async with httpx.AsyncClient() as client:
            stages = (await client.get(server.url + "/healthz", timeout=5)).json()["stages"]
        process = psutil.Process(server.process.pid)
        step_size = NEURAL_BRIGHT_STEP if "neural" in stages else BRIGHT_STEP
        for n in range(1, cap + 1):
            print(f"measuring {n} at once ...", flush=True)
            steps.append(await _step(server, process, n, cap, step_size, args))
            await _until_free(server)
    finally:
        server.stop()
    return steps, stages


async def _step(server: ServerProcess, process: psutil.Process, n: int, cap: int, bright_step: float,
                args: argparse.Namespace) -> Step:
    clients = [Client() for _ in range(n)]
    refused: dict = {}

    def signal_for(client: Client):
        async def signal(offer: RTCSessionDescription) -> RTCSessionDescription:
            answer = await server.signal(offer)
            client.answered_at = time.monotonic()
            return answer
        return signal

    async def play(client: Client) -> None:
        try:
            client.outcome = await measure(signal_for(client), flashes=args.flashes, period=args.period,
                                           client_fix=True, command=args.say, bright_step=bright_step)
        except Exception as exc:  # one client failing must not hide the others' figures
            log.debug("client failed", exc_info=True)
            client.error = f"{type(exc).__name__}: {exc}"[:200]
        client.ended_at = time.monotonic()

    async def one_more() -> None:
        while sum(c.answered_at is not None for c in clients) < n:
            await asyncio.sleep(0.1)
        await asyncio.sleep(2.0)  # everyone in and streaming
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        try:
            pc.addTransceiver("video", direction="sendrecv")
            await pc.setLocalDescription(await pc.createOffer())
            async with httpx.AsyncClient() as client:
                response = await client.post(server.url + "/offer", timeout=30,
                                             json={"sdp": pc.localDescription.sdp, "type": "offer"})
            body = response.json()
            refused.update(status=response.status_code, ticket=body.get("ticket"),
                           retry_after=response.headers.get("retry-after"), error=body.get("error", ""))
        finally:
            await pc.close()

    own = psutil.Process()
    cpu, own_cpu = process.cpu_times(), own.cpu_times()
    started = time.monotonic()
    extra = [one_more()] if n == cap else []
    await asyncio.gather(*(play(c) for c in clients), *extra)
    wall = time.monotonic() - started
    after, own_after = process.cpu_times(), own.cpu_times()
    return Step(n, clients, wall, (after.user - cpu.user) + (after.system - cpu.system),
                (own_after.user - own_cpu.user) + (own_after.system - own_cpu.system), refused)


async def _until_free(server: ServerProcess, timeout: float = 30) -> None:
    """Wait until every place under the cap is free again (the previous step's sessions are gone)."""
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient() as client:
        while time.monotonic() < deadline:
            text = (await client.get(server.url + "/metrics", timeout=5)).text
            if "mirror_sessions_reserved 0.0" in text:
                return
            await asyncio.sleep(0.2)
    raise RuntimeError("sessions of the previous step still held after 30 s")


def _report(steps: list[Step], stages: list[str], args: argparse.Namespace) -> None:
    rows = []
    for step in steps:
        ok = [c for c in step.clients if c.outcome]
        latencies = [x for c in ok for x in c.outcome.latencies]
        fps = [c.fps for c in ok]
        seen = sum(len(c.outcome.latencies) for c in ok)
        sent = sum(c.outcome.flashes_sent for c in ok)
        errors = "; ".join(c.error for c in step.clients if c.error)
        frames = sum(c.outcome.frames_seen for c in ok)
        cpu_ms = step.cpu_s * 1000 / frames if frames else float("nan")
        rows.append([step.n, f"{len(ok)}/{step.n}", min(fps) if fps else float("nan"),
                     sum(fps) / len(fps) if fps else float("nan"), f"{seen}/{sent}", percentile_ms(latencies, 50),
                     percentile_ms(latencies, 95), step.cores, step.cores / step.n, cpu_ms, cpu_ms * 30 / 1000,
                     step.client_cpu_s / step.wall_s, errors])
    print_table(
        f"{' + '.join(stages)} on loopback, 640×480 VP8 clients at 30 fps, each with its scene command; "
        f"{args.flashes} flashes each per step (fps per session; glass-to-glass ms over all sessions' flashes; "
        "server CPU in cores)",
        ["at once", "ok", "fps min", "fps mean", "flashes seen", "g2g p50", "g2g p95", "server cores",
         "cores / session", "CPU ms / frame", "cores for 30 fps", "clients' cores", "errors"],
        rows,
    )
    if steps:
        refused = steps[-1].refused
        ticket = refused.get("ticket") or {}
        print(f"\noffer {steps[-1].n + 1} at the cap: HTTP {refused.get('status')}, queue position "
              f"{ticket.get('position')}, Retry-After {refused.get('retry_after')} s ({refused.get('error', '')!r})")
