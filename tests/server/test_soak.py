"""A soak of `mirror serve` (its own process, its own allocator settings), as strangers at an event
would use it: 50 clean sessions, 10 clients killed mid-session, 10 that answer one ICE check and
vanish, then 20 simultaneous offers. Each session is gone within its deadline, the server's
threads and file descriptors come back to where they were, its memory grows by at most 2 MB a
session after warm-up, and the burst admits exactly the cap."""
from __future__ import annotations

import asyncio
import time

import pytest

from mirror.rtc.loopback import host_addresses
from tests.hardening import (LOOPBACK, ServeProcess, connect_page, half_connect, make_offer, metric,
                             post_offer, wait_until)

pytestmark = pytest.mark.slow

CAP = 4
CONNECT_S, MEDIA_S = 2.0, 1.5
TOLERANCE_S = 6.0  # a reaper tick, a loaded 2-core box
RSS_PER_SESSION_MB = 2.0
STRETCH = 10  # sessions per measured stretch in the one-at-a-time test


async def reserved(server: ServeProcess) -> float:
    return metric(await server.metrics(), "mirror_sessions_reserved")


async def all_gone(server: ServeProcess, within: float, what: str) -> float:
    started = time.monotonic()
    await wait_until(lambda: _none_reserved(server), within, what)
    return time.monotonic() - started


async def _none_reserved(server: ServeProcess) -> bool:
    return await reserved(server) == 0


async def clean_sessions(server: ServeProcess, count: int) -> None:
    """`count` people, CAP at a time: connect, see 15 frames of themselves, leave properly."""
    for start in range(0, count, CAP):
        pages = await asyncio.gather(*(connect_page(server.url) for _ in range(min(CAP, count - start))))
        await asyncio.gather(*(p.wait_frames(15) for p in pages))
        await asyncio.gather(*(p.close() for p in pages))
        await all_gone(server, TOLERANCE_S, "closed sessions freed")


async def vanished_sessions(server: ServeProcess, batches: tuple[int, ...]) -> list[float]:
    """Clients killed mid-session (no goodbye: their sockets just close); how long each batch took to go."""
    gone = []
    for batch in batches:
        pages = await asyncio.gather(*(connect_page(server.url) for _ in range(batch)))
        await asyncio.gather(*(p.wait_frames(10) for p in pages))
        await asyncio.gather(*(p.vanish() for p in pages))
        gone.append(await all_gone(server, MEDIA_S + TOLERANCE_S, "vanished clients' sessions gone"))
    return gone


async def half_connected_sessions(server: ServeProcess, batches: tuple[int, ...]) -> list[float]:
    """Clients that answer the server's first ICE check, then nothing more."""
    gone = []
    for batch in batches:
        await asyncio.gather(*(half_connect(server.url) for _ in range(batch)))
        gone.append(await all_gone(server, CONNECT_S + TOLERANCE_S, "half-connected sessions gone"))
    return gone


async def settled_usage(server: ServeProcess) -> tuple[int, int, float]:
    await asyncio.sleep(1.0)  # the reaper's collection after the last session
    return server.usage()


async def test_soak():
    settings = dict(max_sessions=CAP, connect_timeout_s=CONNECT_S, media_timeout_s=MEDIA_S, reap_interval_s=0.2,
                    offer_burst=1000, offer_rate_per_s=100, queue_poll_s=1, ticket_ttl_s=3)
    with ServeProcess(**settings) as server, host_addresses([LOOPBACK]):
        started = time.monotonic()
        # Warm-up, every kind once: codecs loaded, the server's worker pools at their working size.
        await clean_sessions(server, 8)
        await vanished_sessions(server, (CAP,))
        await half_connected_sessions(server, (CAP,))
        threads0, fds0, rss0 = await settled_usage(server)

        await clean_sessions(server, 50)
        threads1, fds1, rss1 = await settled_usage(server)
        vanished_gone = await vanished_sessions(server, (4, 4, 2))
        half_gone = await half_connected_sessions(server, (4, 4, 2))

        pcs = [(await make_offer())[0] for _ in range(20)]
        try:
            responses = await asyncio.gather(*(post_offer(server.url, pc.localDescription.sdp) for pc in pcs))
        finally:
            await asyncio.gather(*(pc.close() for pc in pcs))
        statuses = sorted(r.status_code for r in responses)
        await all_gone(server, CONNECT_S + TOLERANCE_S, "burst's unconnected sessions gone")
        threads2, fds2, rss2 = await settled_usage(server)
        text = await server.metrics()

    sessions = 50 + 10 + 10 + CAP
    print(f"\nsoak in {time.monotonic() - started:.0f} s: threads {threads0} → {threads1} → {threads2}, "
          f"fds {fds0} → {fds1} → {fds2}, RSS {rss0:.0f} → {rss1:.0f} → {rss2:.0f} MB "
          f"({(rss2 - rss0) / sessions:+.2f} MB a session over {sessions}); vanished gone after "
          f"{', '.join(f'{s:.1f}' for s in vanished_gone)} s, half-connected after "
          f"{', '.join(f'{s:.1f}' for s in half_gone)} s")
    assert statuses == [200] * CAP + [503] * (20 - CAP)
    assert (threads1, fds1) == (threads0, fds0) and (threads2, fds2) == (threads0, fds0)
    assert rss2 - rss0 <= RSS_PER_SESSION_MB * sessions
    assert metric(text, "mirror_sessions_closed_total", reason="media_timeout") == 10 + CAP
    assert metric(text, "mirror_sessions_closed_total", reason="connect_timeout") == 10 + CAP + CAP
    assert metric(text, "mirror_sessions_closed_total", reason="connection_closed") == 58


async def one_at_a_time(server: ServeProcess, count: int, **page) -> None:
    for _ in range(count):
        p = await connect_page(server.url, timeout=60, **page)
        await p.wait_frames(15, timeout=60)
        await p.close()
        await all_gone(server, TOLERANCE_S, "closed session freed")


async def test_speech_sessions_leave_no_threads_behind():
    """Each session's speech listener, its decode threads and codecs go with it."""
    with ServeProcess(speech="true", reap_interval_s=0.2) as server, host_addresses([LOOPBACK]):
        await one_at_a_time(server, 2, audio_tracks=1)
        baseline = await settled_usage(server)
        counts = []
        for _ in range(4):
            await one_at_a_time(server, 1, audio_tracks=1)
            counts.append((await settled_usage(server))[:2])
    print(f"\nspeech sessions: threads, fds {baseline[:2]} → {counts}")
    assert counts == [baseline[:2]] * 4


async def test_the_default_mirror_gives_its_memory_back():
    """The default stages (pose, composite, the neural style), one person after another.

    A leak grows the same in every stretch of sessions; the process's high-water mark does not.
    Settled after each session, RSS here sits flat, then steps up 4 to 22 MB once or twice in the
    first ~10 sessions (the codecs' and pose's heaps reaching their working size) and goes flat
    again. So two stretches of 10 sessions are measured after the warm-up, and the quieter one must
    grow by at most 2 MB a session: a leak fails both, one late step fails neither."""
    with ServeProcess(stages="auto", reap_interval_s=0.2) as server, host_addresses([LOOPBACK]):
        await one_at_a_time(server, 4)
        usage = [await settled_usage(server)]
        for _ in range(2):
            await one_at_a_time(server, STRETCH)
            usage.append(await settled_usage(server))
    threads, fds, rss = zip(*usage)
    growth = [b - a for a, b in zip(rss, rss[1:])]
    print(f"\ndefault stages, 2 × {STRETCH} sessions: threads {threads}, fds {fds}, RSS "
          f"{' → '.join(f'{r:.0f}' for r in rss)} MB "
          f"({', '.join(f'{g / STRETCH:+.2f}' for g in growth)} MB a session)")
    assert len(set(threads)) == 1 and len(set(fds)) == 1
    assert min(growth) <= RSS_PER_SESSION_MB * STRETCH
