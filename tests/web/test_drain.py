"""A worker behind a balancer: /ready says whether a newcomer would be admitted, and a drain (SIGTERM,
or the operator's POST /drain) admits nobody, tells the people at the mirror, lets them finish up to
MIRROR_DRAIN_S, saves their recordings and exits 0; a second SIGTERM ends the wait at once.

The rules on a clock of our own; the routes on the real app in a thread; the signals on `mirror serve`
itself in a process, real aiortc clients on loopback."""
from __future__ import annotations

import asyncio
import signal
import time

import httpx
import pytest

from mirror.clips.store import ClipStore
from mirror.rtc.loopback import host_addresses
from mirror.server.admission import Admission, Draining, Ticket
from tests.hardening import (LOOPBACK, ServeProcess, connect_page, make_offer, metric, post_offer, settings_from_env,
                             wait_until)
from tests.live_server import LiveServer
from tests.mirror_client import MirrorClient

TOKEN = "drain-test-token"
# Hang detectors for a loaded 2-core box, not speed checks.
STARTED_S = 10.0
EXIT_SLACK_S = 15.0


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


# ---- the rule: ready = a newcomer would be admitted now ----
def test_ready_while_a_place_is_free_that_nobody_waiting_needs():
    clock = Clock()
    a = Admission(2, queue_max=3, poll_s=1.0, ticket_ttl_s=5.0, clock=clock)
    assert a.ready
    first = a.admit()
    assert a.ready
    second = a.admit()
    assert not a.ready  # full
    waiting = a.admit()
    assert isinstance(waiting, Ticket)
    first.release()
    assert not a.ready  # the free place is the ticket holder's
    a.admit(waiting.id)
    second.release()
    assert a.ready
    a.admit()
    a.admit()  # full again, one waiting…
    clock.now = 6.0  # …who stops asking: the ticket expires and the place is anyone's
    assert a.in_use == 2 and not a.ready


def test_a_draining_worker_is_never_ready_and_admits_no_one_ticket_or_not():
    a = Admission(2, queue_max=3, poll_s=1.0, ticket_ttl_s=5.0, clock=Clock())
    held = a.admit()
    a.admit()
    ticket = a.admit()
    a.stop_admitting()
    held.release()
    assert not a.ready and a.waiting == 0
    for asked_with in (None, ticket.id):
        with pytest.raises(Draining):
            a.admit(asked_with)


# ---- the routes, on the real app ----
async def get(url: str, path: str, **kw) -> httpx.Response:
    async with httpx.AsyncClient() as client:
        return await client.get(url + path, timeout=5, **kw)


async def test_ready_answers_200_until_the_places_are_taken_and_503_full_until_one_is_freed():
    with LiveServer(settings_from_env(max_sessions=1, reap_interval_s=0.2)) as server:
        ready = await get(server.url, "/ready")
        assert (ready.status_code, ready.json()) == (200, {"ready": True})
        assert ready.headers["cache-control"] == "no-store"
        page = await connect_page(server.url)
        full = await get(server.url, "/ready")
        assert (full.status_code, full.json()) == (503, {"ready": False, "why": "full"})
        assert (await get(server.url, "/healthz")).status_code == 200  # alive all the same
        await page.close()
        await wait_until(lambda: not server.sessions, 10, "the session gone")
        assert (await get(server.url, "/ready")).status_code == 200


async def test_the_operators_drain_tells_the_page_refuses_offers_and_closes_sessions_at_the_deadline():
    settings = settings_from_env(admin_token=TOKEN, drain_s=2, reap_interval_s=0.2)
    with LiveServer(settings) as server:
        page = await connect_page(server.url)
        async with httpx.AsyncClient() as client:
            assert (await client.post(server.url + "/drain", timeout=5)).status_code == 401
            started = time.monotonic()
            answer = await client.post(server.url + "/drain", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5)
        assert answer.status_code == 202 and answer.json()["sessions"] == 1
        assert (await get(server.url, "/ready")).json() == {"ready": False, "why": "draining"}

        pc, _ = await make_offer()
        refused = await post_offer(server.url, pc.localDescription.sdp)
        await pc.close()
        assert refused.status_code == 503 and "ticket" not in refused.json()
        assert int(refused.headers["retry-after"]) >= 1

        told = await page.wait_event("draining")
        assert 0 < told["seconds"] <= 2
        frames_when_told = page.frames
        await wait_until(lambda: not server.sessions, 2 + EXIT_SLACK_S, "the session closed at the drain deadline")
        closed_after = time.monotonic() - started
        await page.close()
        assert page.frames > frames_when_told + 10  # the mirror went on while it drained
        assert closed_after >= 2 - 0.2
        assert server.app.state.drain.finished
        text = server.metrics()
        assert metric(text, "mirror_sessions_closed_total", reason="drained") == 1
        assert metric(text, "mirror_offers_rejected_total", reason="draining") == 1
        assert metric(text, "mirror_draining") == 1


async def test_drain_is_refused_without_a_configured_token():
    with LiveServer(settings_from_env()) as server:
        async with httpx.AsyncClient() as client:
            answer = await client.post(server.url + "/drain", headers={"Authorization": "Bearer guess"}, timeout=5)
        assert answer.status_code == 403
        assert (await get(server.url, "/ready")).status_code == 200


# ---- the signals, on `mirror serve` ----
async def test_sigterm_lets_the_people_at_the_mirror_finish_then_exits_0():
    with ServeProcess(drain_s=3, reap_interval_s=0.2) as server, host_addresses([LOOPBACK]):
        page = await connect_page(server.url)
        server.process.send_signal(signal.SIGTERM)
        signalled = time.monotonic()
        await wait_until(lambda: _ready_refused(server.url), STARTED_S, "/ready 503 after SIGTERM")
        told = await page.wait_event("draining")
        status = await asyncio.to_thread(server.process.wait, 3 + EXIT_SLACK_S)
        await page.close()
        assert status == 0 and told["seconds"] <= 3
        # Frames came until the drain deadline closed the session.
        assert page.last_frame_at - signalled >= 3 - 0.5
        assert "drained in" in server.tail(40)


async def test_sigterm_with_nobody_at_the_mirror_exits_0_at_once():
    with ServeProcess(drain_s=60) as server:
        server.process.send_signal(signal.SIGTERM)
        # Nobody to wait for: far sooner than the 60 s deadline.
        assert await asyncio.to_thread(server.process.wait, EXIT_SLACK_S) == 0


async def test_a_second_sigterm_stops_now_and_the_recording_is_saved(tmp_path):
    clips = tmp_path / "clips"
    with ServeProcess(drain_s=60, clips_dir=clips, clip_countdown_s=0) as server, host_addresses([LOOPBACK]):
        client = await MirrorClient(server.url).connect()
        try:
            client.say("start recording")
            await client.event("recording", state="recording")
            await wait_until(lambda: _has_part(clips), 10, "the recording's file begun")
            server.process.send_signal(signal.SIGTERM)
            await client.event("draining")
            server.process.send_signal(signal.SIGTERM)
            # A 60 s drain ended by the second signal: this wait is a hang detector far below it.
            assert await asyncio.to_thread(server.process.wait, EXIT_SLACK_S) == 0
        finally:
            await client.close()
    (clip,) = ClipStore(clips, retention_s=3600, quota_bytes=10**9).list()
    assert clip.duration_s > 0 and (clips / f"{clip.id}.mp4").stat().st_size > 0
    assert not list(clips.glob("*.part"))


async def _status(url: str) -> int | None:
    try:
        async with httpx.AsyncClient() as client:
            return (await client.get(url, timeout=2)).status_code
    except httpx.HTTPError:
        return None


async def _ready_refused(url: str) -> bool:
    return await _status(url + "/ready") == 503


def _has_part(folder) -> bool:
    return any(folder.glob("*.part"))
