"""Many mirrors behind one address: three `mirror serve` workers (2 places each, the cheapest
stages) behind Debian's HAProxy running deploy/haproxy/haproxy.cfg, and outside aiortc clients
that speak the page's 503 protocol (ask again after Retry-After, with the ticket when given one).
Everything on loopback; HAProxy carries HTTP only, the media goes straight to each worker.

One scenario, as at an event, each step checked as it happens:
  1. six people arrive within 5 s: all admitted, two per worker;
  2. a seventh finds every worker full: a ticket, and in when a place frees;
  3. w1 gets SIGTERM while one of its people records a clip: its two sessions run on to the drain
     deadline, no offer reaches it, it exits 0; the clip then downloads through HAProxy from another
     worker, and its QR code names the public address;
  4. w2 is killed (-9) with a free place: the next offer is admitted by w3 within 2 s; nothing hangs.
It prints what each fault did, and how long HAProxy took to stop sending offers to a worker that
filled up: the figures in docs/operations.md.
"""
from __future__ import annotations

import asyncio
import contextlib
import io
import json
import signal
import time
from collections import Counter
from dataclasses import dataclass, field
import av
import httpx
import pytest

from mirror.clips.store import ClipStore
from mirror.rtc.loopback import host_addresses
from tests.haproxy import HAProxy
from tests.hardening import LOOPBACK, Page, ServeProcess, connect_page, free_port, metric, post_offer, wait_until
from tests.web.test_clips import decode_qr_svg

pytestmark = pytest.mark.slow

NAMES = ("w1", "w2", "w3")
DRAIN_S = 3.0
CHECK_INTER_MS = 100
WORKER = dict(max_sessions=2, drain_s=DRAIN_S, queue_poll_s=1, ticket_ttl_s=3, clip_countdown_s=0,
              offer_burst=100, reap_interval_s=0.2, log_level="INFO")
# Hang detectors for a loaded 2-core box, not speed checks; what the issue asks is asserted as such.
WAIT_S = 20.0
REROUTE_AFTER_KILL_S = 2.0


@dataclass
class Try:
    sent: float
    answered: float
    status: int
    worker: str  # HAProxy's X-Mirror-Worker: who answered
    ticket: bool


@dataclass
class Guest:
    """A person at the balancer's address, doing what the page does."""

    tries: list[Try] = field(default_factory=list)
    page: Page | None = None

    async def arrive(self, url: str) -> "Guest":
        self.page = await connect_page(url, post=self._post, timeout=WAIT_S)
        return self

    async def _post(self, url: str, sdp: str) -> httpx.Response:
        ticket = None
        while True:
            sent = time.monotonic()
            response = await post_offer(url, sdp, ticket=ticket)
            body = response.json()
            self.tries.append(Try(sent, time.monotonic(), response.status_code,
                                  response.headers.get("x-mirror-worker", ""), "ticket" in body))
            if response.status_code != 503:
                return response
            ticket = body.get("ticket", {}).get("id", ticket)
            await asyncio.sleep(int(response.headers["retry-after"]))  # the protocol's wait, as the page's

    @property
    def worker(self) -> str:
        return self.tries[-1].worker

    @property
    def admitted(self) -> Try:
        assert self.tries[-1].status == 200
        return self.tries[-1]


@pytest.fixture
def fleet(tmp_path):
    clips = tmp_path / "clips"
    port = free_port()
    with contextlib.ExitStack() as stack:
        # All three start at once; each is waited for in turn.
        workers = {name: ServeProcess(clips_dir=clips, public_url=f"http://{LOOPBACK}:{port}", **WORKER)
                   for name in NAMES}
        for worker in workers.values():
            stack.callback(worker.stop)
        for worker in workers.values():
            worker.__enter__()
        haproxy = stack.enter_context(HAProxy(port, {n: w.port for n, w in workers.items()}, CHECK_INTER_MS))
        stack.enter_context(host_addresses([LOOPBACK]))
        yield haproxy, workers, clips


async def test_three_workers_behind_haproxy_admit_queue_drain_and_survive_a_kill(fleet):
    haproxy, workers, clips = fleet
    everyone = {(b, n): "UP" for b in ("workers", "queue") for n in NAMES}
    await haproxy.wait_states(everyone, WAIT_S)
    changes: list[tuple[float, str, str, str]] = []
    watching = asyncio.ensure_future(haproxy.watch(changes))
    table: list[tuple[str, str]] = []
    guests: list[Guest] = []
    try:
        # ---- 1. six people arrive within 5 s ----
        async def arrive_after(delay: float) -> Guest:
            await asyncio.sleep(delay)  # people arriving, 0.4 s apart
            return await Guest().arrive(haproxy.url)

        started = time.monotonic()
        first = list(await asyncio.gather(*(arrive_after(0.4 * i) for i in range(6))))
        guests += first
        assert max(g.tries[0].sent for g in first) - started < 5
        assert Counter(g.worker for g in first) == {name: 2 for name in NAMES}
        for worker in workers.values():
            assert metric(await worker.metrics(), "mirror_sessions_reserved") == 2
        refused = sum(t.status == 503 for g in first for t in g.tries)
        await haproxy.wait_states({("workers", name): "DOWN" for name in NAMES}, WAIT_S)  # every worker full
        reroute = [fill_to_reroute(name, first, changes) for name in NAMES]
        table.append(("6 arrive within 5 s", f"admitted 6 (2 per worker); refused first and retried: {refused}; "
                                             f"lost 0"))

        # ---- 2. a seventh finds everyone full ----
        seventh = Guest()
        arriving = asyncio.ensure_future(seventh.arrive(haproxy.url))
        await wait_until(lambda: seventh.tries, WAIT_S, "the seventh's first answer")
        assert (seventh.tries[0].status, seventh.tries[0].ticket) == (503, True)
        queue_keeper = seventh.tries[0].worker
        leaving = next(g for g in first if g.worker == "w3")
        await leaving.page.close()
        freed = time.monotonic()
        await asyncio.wait_for(arriving, WAIT_S)
        guests.append(seventh)
        assert seventh.worker == "w3"  # the only worker with a free place
        table.append(("7th, every worker full", f"ticket from {queue_keeper}; admitted on {seventh.worker} "
                                               f"{seventh.admitted.answered - freed:.1f} s after a place freed"))

        # ---- 3. SIGTERM to w1 while one of its people records ----
        on_w1 = [g for g in first if g.worker == "w1"]
        recorder = on_w1[0].page
        recorder.channel.send(json.dumps({"v": 1, "type": "command", "text": "start recording"}))
        await wait_until(lambda: any(e.get("type") == "recording" and e.get("state") == "recording"
                                     for e in recorder.events), WAIT_S, "the recording started")
        await wait_until(lambda: any(clips.glob("*.mp4.part")), WAIT_S, "the clip's file begun")
        workers["w1"].process.send_signal(signal.SIGTERM)
        termed = time.monotonic()
        w1_out = await haproxy.wait_states({("workers", "w1"): "DOWN", ("queue", "w1"): "DOWN"}, WAIT_S)
        eighth = Guest()
        waiting = asyncio.ensure_future(eighth.arrive(haproxy.url))
        await wait_until(lambda: eighth.tries, WAIT_S, "the eighth's first answer")
        assert (eighth.tries[0].status, eighth.tries[0].ticket, eighth.tries[0].worker) == (503, True, "w2")
        for guest in on_w1:
            await guest.page.wait_event("draining", timeout=WAIT_S)
        status = await asyncio.to_thread(workers["w1"].process.wait, DRAIN_S + WAIT_S)
        exited = time.monotonic()
        assert status == 0
        w1_log = workers["w1"].tail(10_000)
        assert "offer refused (draining)" not in w1_log  # no offer reached it after SIGTERM
        assert w1_log.count("closed: drained") == 2
        for guest in on_w1:  # their mirror went on to the deadline
            assert guest.page.last_frame_at - termed >= DRAIN_S - 0.7
        assert all(t.worker != "w1" for g in guests + [eighth] for t in g.tries if t.sent > termed)
        table.append(("SIGTERM to w1 (2 sessions, 1 recording)",
                      f"out of HAProxy after {1000 * (w1_out - termed):.0f} ms; offers to it after: 0; both sessions "
                      f"got frames until {min(g.page.last_frame_at for g in on_w1) - termed:.1f} s "
                      f"(deadline {DRAIN_S:.0f} s); exit 0 after {exited - termed:.1f} s; lost 0"))

        # The clip made on w1, now gone: its page was told, and it downloads through the balancer
        # from another worker.
        (clip,) = ClipStore(clips, retention_s=3600, quota_bytes=10**9).list()
        assert (await recorder.wait_event("clip", timeout=WAIT_S))["id"] == clip.id
        async with httpx.AsyncClient(base_url=haproxy.url) as http:
            mp4 = await http.get(f"/clips/{clip.id}.mp4", timeout=10)
            page = await http.get(f"/c/{clip.id}", timeout=10)
            qr = await http.get(f"/clips/{clip.id}/qr.svg", timeout=10)
        assert mp4.status_code == page.status_code == qr.status_code == 200
        assert mp4.headers["x-mirror-worker"] in ("w2", "w3") and mp4.content == (clips / f"{clip.id}.mp4").read_bytes()
        assert frames_in(mp4.content) > 10
        assert decode_qr_svg(qr.content) == f"{haproxy.url}/c/{clip.id}"
        table.append(("clip recorded on w1, w1 gone",
                      f"{clip.duration_s:.1f} s clip downloaded through HAProxy from {mp4.headers['x-mirror-worker']}; "
                      f"QR names {haproxy.url}"))

        # ---- 4. kill -9 of w2 while it has a free place ----
        for guest in [g for g in guests if g.worker == "w3" and g.page.pc.connectionState != "closed"]:
            await guest.page.close()
        await asyncio.wait_for(waiting, WAIT_S)  # the eighth gets in where places freed
        guests.append(eighth)
        on_w2 = [g for g in first if g.worker == "w2"]
        await on_w2[0].page.close()
        await haproxy.wait_states({("workers", "w2"): "UP", ("workers", "w3"): "UP"}, WAIT_S)
        workers["w2"].process.kill()
        killed = time.monotonic()
        ninth = await asyncio.wait_for(Guest().arrive(haproxy.url), WAIT_S)
        guests.append(ninth)
        assert ninth.admitted.answered - killed < REROUTE_AFTER_KILL_S and ninth.worker == "w3"
        w2_out = await haproxy.wait_states({("workers", "w2"): "DOWN", ("queue", "w2"): "DOWN"}, WAIT_S)
        await asyncio.wait_for(on_w2[1].page.close(), WAIT_S)  # its worker is gone: closing does not hang
        async with httpx.AsyncClient() as http:
            assert (await http.get(haproxy.url + "/", timeout=5)).status_code == 200
        table.append(("kill -9 of w2 (1 session, 1 free place)",
                      f"next offer admitted on {ninth.worker} {1000 * (ninth.admitted.answered - killed):.0f} ms after; "
                      f"out of HAProxy after {1000 * (w2_out - killed):.0f} ms; offers sent to it and redispatched: "
                      f"{haproxy.redispatched()}; its 1 session cut (the page reconnects); offers lost 0"))
        statuses = Counter(t.status for g in guests for t in g.tries)
        assert set(statuses) <= {200, 503}, statuses  # every offer was answered or refused to be retried

        lo, hi = min(r[0] for r in reroute), max(r[1] for r in reroute)
        print("\n\nfault | what happened\n--- | ---")
        for row in table:
            print(" | ".join(row))
        print(f"worker full → HAProxy sends its offers elsewhere: {1000 * lo:.0f}–{1000 * hi:.0f} ms "
              f"(checks every {CHECK_INTER_MS} ms; per worker: "
              + ", ".join(f"{n} {1000 * a:.0f}–{1000 * b:.0f}" for n, (a, b) in zip(NAMES, reroute)) + ")")
    finally:
        watching.cancel()
        for guest in guests:
            if guest.page is not None:
                await guest.page.close()


def fill_to_reroute(name: str, guests: list[Guest], changes) -> tuple[float, float]:
    """From the worker's last place taken to HAProxy marking it down in `workers`: the place was
    taken between the offer being sent and answered, so the time is between these two bounds."""
    last = max((g.admitted for g in guests if g.worker == name), key=lambda t: t.answered)
    down = next(t for t, backend, server, state in changes
                if backend == "workers" and server == name and state == "DOWN" and t >= last.sent)
    return max(0.0, down - last.answered), down - last.sent


def frames_in(mp4: bytes) -> int:
    with av.open(io.BytesIO(mp4)) as container:
        return sum(1 for _ in container.decode(video=0))


async def test_haproxy_passes_only_what_a_page_uses_and_sends_an_offer_for_a_dead_worker_to_a_live_one():
    """Between a worker dying and the next health check, HAProxy still thinks it is up: the offer
    sent to it fails to connect, and `retry-on conn-failure` sends it to another worker. Health
    checks are switched off for the dead ones here, so every offer meets that window."""
    dead = free_port()  # nothing listens there: a worker killed a moment ago
    with ServeProcess(max_sessions=4) as live, host_addresses([LOOPBACK]), \
            HAProxy(free_port(), {"w1": dead, "w2": live.port, "w3": dead}, CHECK_INTER_MS) as haproxy:
        for backend in ("workers", "queue"):
            for name in ("w1", "w3"):
                haproxy.command(f"disable health {backend}/{name}")
                haproxy.command(f"set server {backend}/{name} health up")
        await haproxy.wait_states({("workers", "w2"): "UP"}, WAIT_S)
        guests = [await Guest().arrive(haproxy.url) for _ in range(3)]
        try:
            assert [(g.worker, [t.status for t in g.tries]) for g in guests] == [("w2", [200])] * 3
            assert haproxy.redispatched() >= 2  # roundrobin sent at least two of them to a dead worker first
        finally:
            for guest in guests:
                await guest.page.close()
        async with httpx.AsyncClient(base_url=haproxy.url) as http:
            for path in ("/", "/ready", "/static/mirror.js"):
                assert (await http.get(path, timeout=5)).status_code == 200, path
            # The operator's routes and the worker's own health are asked of each worker directly.
            for path in ("/metrics", "/status", "/sessions", "/healthz", "/clips"):
                assert (await http.get(path, timeout=5)).status_code == 404, path
            assert (await http.post("/drain", timeout=5)).status_code == 404
            assert (await http.get("/offer", timeout=5)).status_code == 404
