"""Every session ends: a client that answers one ICE check and vanishes, one killed mid-session, one
that stays too long — each is gone within its deadline, its place freed, the reason on /metrics.
Real server, real aiortc clients on loopback, short deadlines."""
from __future__ import annotations

import time

from tests.hardening import connect_page, half_connect, metric, settings_from_env, wait_until
from tests.live_server import LiveServer

# Deadlines are short so the tests are; the tolerance covers a reaper tick and a loaded 2-core box.
TOLERANCE_S = 6.0


async def test_half_connected_clients_are_cleared_and_do_not_lock_the_mirror():
    settings = settings_from_env(max_sessions=4, connect_timeout_s=2, reap_interval_s=0.2)
    with LiveServer(settings) as server:
        for _ in range(4):  # each answers the server's first ICE check, then is never heard from again
            await half_connect(server.url)
        assert len(server.sessions) == 4  # the mirror is full of strangers that will never connect
        started = time.monotonic()
        await wait_until(lambda: not server.sessions, 2 + TOLERANCE_S, "half-connected sessions cleared")
        print(f"\n4 half-connected sessions gone {time.monotonic() - started:.1f} s after the last offer")
        page = await connect_page(server.url)  # and the next person gets in
        await page.close()
        assert metric(server.metrics(), "mirror_sessions_closed_total", reason="connect_timeout") == 4


async def test_a_client_killed_mid_session_is_gone_within_the_media_deadline():
    settings = settings_from_env(media_timeout_s=1.5, reap_interval_s=0.2)
    with LiveServer(settings) as server:
        page = await connect_page(server.url)
        await page.wait_frames(10)
        await page.vanish()
        vanished = time.monotonic()
        await wait_until(lambda: not server.sessions, 1.5 + TOLERANCE_S, "vanished client's session gone")
        print(f"\nvanished client gone after {time.monotonic() - vanished:.1f} s")
        text = server.metrics()
        assert metric(text, "mirror_sessions_closed_total", reason="media_timeout") == 1
        assert metric(text, "mirror_sessions_reserved") == 0


async def test_a_session_ends_at_its_maximum_length():
    settings = settings_from_env(max_session_s=2, reap_interval_s=0.2)
    with LiveServer(settings) as server:
        page = await connect_page(server.url)
        try:
            await wait_until(lambda: not server.sessions, 2 + TOLERANCE_S, "session at its maximum length")
            await wait_until(lambda: page.pc.connectionState == "closed", 5, "the page told the session is over")
        finally:
            await page.close()
        assert metric(server.metrics(), "mirror_sessions_closed_total", reason="max_length") == 1


async def test_a_page_that_says_goodbye_is_closed_at_once_and_counted():
    settings = settings_from_env(reap_interval_s=0.2)
    with LiveServer(settings) as server:
        page = await connect_page(server.url)
        await page.close()
        await wait_until(lambda: not server.sessions, TOLERANCE_S, "closed session gone")
        assert metric(server.metrics(), "mirror_sessions_closed_total", reason="connection_closed") == 1
