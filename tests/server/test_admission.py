"""Admission that holds: the cap counts a session from the moment it is admitted, under any race;
beyond it people get a ticket, get in in the order they came, and a ticket nobody polls expires.
Real server and real aiortc offers on loopback."""
from __future__ import annotations

import asyncio

from tests.hardening import connect_page, make_offer, metric, post_offer, settings_from_env, wait_until
from tests.live_server import LiveServer


async def test_twenty_simultaneous_offers_admit_exactly_the_cap():
    settings = settings_from_env(max_sessions=4, offer_burst=50, connect_timeout_s=3, reap_interval_s=0.2)
    with LiveServer(settings) as server:
        pcs = [(await make_offer())[0] for _ in range(20)]
        try:
            responses = await asyncio.gather(*(post_offer(server.url, pc.localDescription.sdp) for pc in pcs))
            statuses = sorted(r.status_code for r in responses)
            assert statuses == [200] * 4 + [503] * 16
            assert len(server.sessions) == 4
            refused = [r for r in responses if r.status_code == 503]
            tickets = [r.json()["ticket"] for r in refused]
            assert sorted(t["position"] for t in tickets) == list(range(1, 17))
            assert len({t["id"] for t in tickets}) == 16
            assert all(int(r.headers["retry-after"]) >= 1 for r in refused)
            assert "you are number" in refused[0].json()["error"]
        finally:
            await asyncio.gather(*(pc.close() for pc in pcs))
        # Admitted offers whose clients never connect are reaped; their places come back.
        await wait_until(lambda: not server.sessions, 15, "unconnected sessions reaped")
        assert metric(server.metrics(), "mirror_sessions_reserved") == 0


async def test_people_get_in_in_the_order_they_came():
    settings = settings_from_env(max_sessions=1, queue_poll_s=0.5, ticket_ttl_s=30, media_timeout_s=30)
    with LiveServer(settings) as server:
        first = await connect_page(server.url)
        second, _ = await make_offer()
        third, _ = await make_offer()
        try:
            b = (await post_offer(server.url, second.localDescription.sdp)).json()["ticket"]
            c = (await post_offer(server.url, third.localDescription.sdp)).json()["ticket"]
            assert (b["position"], c["position"]) == (1, 2)
            await first.close()
            await wait_until(lambda: not server.sessions, 10, "the first person's session gone")
            # A place is free, but the third person is not next: still waiting, still second.
            again = await post_offer(server.url, third.localDescription.sdp, ticket=c["id"])
            assert again.status_code == 503 and again.json()["ticket"]["position"] == 2
            # Nor does a newcomer without a ticket jump the queue.
            newcomer, _ = await make_offer()
            late = await post_offer(server.url, newcomer.localDescription.sdp)
            await newcomer.close()
            assert late.status_code == 503 and late.json()["ticket"]["position"] == 3
            # The second person, polling with their ticket, gets in.
            admitted = await post_offer(server.url, second.localDescription.sdp, ticket=b["id"])
            assert admitted.status_code == 200 and "sdp" in admitted.json()
        finally:
            await asyncio.gather(second.close(), third.close())
        assert metric(server.metrics(), "mirror_tickets_total", outcome="admitted") == 1


async def test_a_ticket_nobody_polls_expires_and_the_queue_moves_up():
    settings = settings_from_env(max_sessions=1, queue_poll_s=0.3, ticket_ttl_s=1.0, media_timeout_s=30)
    with LiveServer(settings) as server:
        first = await connect_page(server.url)
        gone, _ = await make_offer()
        staying, _ = await make_offer()
        try:
            await post_offer(server.url, gone.localDescription.sdp)  # then never polls again
            ticket = (await post_offer(server.url, staying.localDescription.sdp)).json()["ticket"]
            assert ticket["position"] == 2
            for _ in range(8):  # 2 s of polling every 0.25 s: the other ticket outlives its 1 s
                await asyncio.sleep(0.25)
                reply = await post_offer(server.url, staying.localDescription.sdp, ticket=ticket["id"])
            assert reply.status_code == 503 and reply.json()["ticket"]["position"] == 1
        finally:
            await asyncio.gather(first.close(), gone.close(), staying.close())
        assert metric(server.metrics(), "mirror_tickets_total", outcome="expired") == 1
