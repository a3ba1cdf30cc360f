"""`mirror bench join`: does a newcomer stall the person already at the mirror?

One aiortc client (A) plays the test clip to `mirror serve` on loopback and records when each
mirrored frame comes back. After A has settled, a second client (B) sends its offer; the server
opens B's session (stages, frame path, speech listener) while A's frames flow. The bench reports
A's longest gap between received frames over the `--window` seconds while B joins, beside A's
longest gap over an equal window just before (A alone: the baseline in the same run), and B's
offer → first frame, and A's longest gap once B is in (what sharing the machine costs A, apart from
the join). Each configuration runs `--repeat` times; the table gives the range.

    mirror bench join                                 # composite + neural, and composite + tiny diffusion at 128
    mirror bench join --config composite,neural --repeat 5
"""
from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from dataclasses import dataclass, field

from aiortc import RTCConfiguration, RTCPeerConnection
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from mirror.rtc.loopback import host_addresses
from tools.bench.latency import LOOPBACK, FlashClip, ServerProcess, _non_loopback_candidates
from tools.bench.report import print_table

# name → (stages, MIRROR_* settings)
CONFIGS: dict[str, tuple[str, dict[str, str]]] = {
    "composite,neural": ("composite,neural", {}),
    "composite,diffusion(tiny,128)": ("composite,diffusion", {"MIRROR_DIFFUSION_MODEL": "tiny",
                                                              "MIRROR_DIFFUSION_SIZE": "128"}),
}
SETTLE_S = 3.0  # A's encoders settle and its frame rate steadies before anything is measured


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", action="append", choices=sorted(CONFIGS),
                        help="which server to run (default: every one); may be given twice")
    parser.add_argument("--repeat", type=int, default=3, help="joins per configuration")
    parser.add_argument("--window", type=float, default=3.0, help="seconds measured alone, then while B joins")
    parser.add_argument("--speech", action="store_true", help="speech on (each session opens its listener)")


@dataclass
class Receiver:
    """A client whose returned frames' arrival times are kept."""

    arrivals: list[float] = field(default_factory=list)
    pc: RTCPeerConnection | None = None
    clip: FlashClip | None = None
    task: asyncio.Task | None = None

    async def connect(self, server: ServerProcess) -> float:
        """Offer, answer, and wait for the first frame back. Returns offer → first frame, seconds."""
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.clip = self.clip or FlashClip()
        self.pc.addTransceiver(self.clip, direction="sendrecv")
        self.pc.createDataChannel("mirror")
        first = asyncio.get_running_loop().create_future()

        async def watch(track: MediaStreamTrack) -> None:
            while True:
                try:
                    await track.recv()
                except MediaStreamError:
                    return
                self.arrivals.append(time.monotonic())
                if not first.done():
                    first.set_result(None)

        self.pc.on("track", lambda track: setattr(self, "task", asyncio.ensure_future(watch(track)))
                   if track.kind == "video" else None)
        started = time.monotonic()
        await self.pc.setLocalDescription(await self.pc.createOffer())
        answer = await server.signal(self.pc.localDescription)
        foreign = _non_loopback_candidates(answer.sdp) | _non_loopback_candidates(self.pc.localDescription.sdp)
        if foreign:
            raise RuntimeError(f"media would leave loopback: candidates on {sorted(foreign)}")
        await self.pc.setRemoteDescription(answer)
        await asyncio.wait_for(first, timeout=60)
        return time.monotonic() - started

    def longest_gap(self, start: float, end: float) -> float:
        """Longest time without a frame inside [start, end], the edges included."""
        inside = [t for t in self.arrivals if start <= t <= end]
        points = [start, *inside, end]
        return max(b - a for a, b in zip(points, points[1:]))

    async def close(self) -> None:
        if self.clip is not None:
            self.clip.stop()
        if self.task is not None:
            self.task.cancel()
        if self.pc is not None:
            await self.pc.close()


async def _join_once(server: ServerProcess, window: float) -> tuple[float, float, float, float, float]:
    """(A's longest gap alone, A's longest gap while B joins, B's offer → first frame, A's fps alone,
    A's longest gap once B is in)."""
    with host_addresses([LOOPBACK]):  # the clients offer loopback only, as the server does
        return await _join(server, window)


async def _join(server: ServerProcess, window: float) -> tuple[float, float, float, float, float]:
    # Both clips are made before anything is measured: a FlashClip renders its 180 frames on this
    # loop (~0.56 s here), which stalled A's own receiving while B joined, a gap of the bench's own.
    a, b = Receiver(clip=FlashClip()), Receiver(clip=FlashClip())
    try:
        await a.connect(server)
        await asyncio.sleep(SETTLE_S + window)
        alone_end = time.monotonic()
        alone = a.longest_gap(alone_end - window, alone_end)
        fps = sum(1 for t in a.arrivals if t >= alone_end - window) / window
        joined_at = time.monotonic()
        b_first = await b.connect(server)
        await asyncio.sleep(max(0.0, joined_at + window - time.monotonic()))
        joining = a.longest_gap(joined_at, max(time.monotonic(), joined_at + window))
        # With B settled in: what sharing the machine costs A, apart from B's joining.
        await asyncio.sleep(window)
        together = a.longest_gap(time.monotonic() - window, time.monotonic())
        return alone, joining, b_first, fps, together
    finally:
        await b.close()
        await a.close()


def run(args: argparse.Namespace) -> int:
    rows = []
    for name in args.config or list(CONFIGS):
        stages, env = CONFIGS[name]
        env = {**env, "MIRROR_SPEECH": "true" if args.speech else "false", "MIRROR_EMBEDDINGS": "false"}
        log = tempfile.NamedTemporaryFile(prefix="mirror-bench-join-", suffix=".log", delete=False).name
        server = ServerProcess(stages, True, log, env=env)
        results = []
        try:
            asyncio.run(server.ready(timeout=120))
            for _ in range(args.repeat):
                results.append(asyncio.run(_join_once(server, args.window)))
                print(f"{name}: alone {results[-1][0] * 1000:.0f} ms, while B joins {results[-1][1] * 1000:.0f} ms, "
                      f"B's first frame after {results[-1][2] * 1000:.0f} ms, with B in {results[-1][4] * 1000:.0f} ms",
                      flush=True)
        finally:
            server.stop()

        def span(values: list[float]) -> str:
            return f"{min(values) * 1000:.0f}–{max(values) * 1000:.0f}"

        rows.append([name, span([r[0] for r in results]), span([r[1] for r in results]),
                     span([r[2] for r in results]), span([r[4] for r in results]),
                     f"{min(r[3] for r in results):.0f}–{max(r[3] for r in results):.0f}"])
    print_table(f"A's longest gap between frames, {args.window:g} s windows, {args.repeat} joins each "
                f"(speech {'on' if args.speech else 'off'})",
                ["server", "A alone ms", "A while B joins ms", "B offer → first frame ms", "A with B in ms", "A fps alone"],
                rows)
    return 0
