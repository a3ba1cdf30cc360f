"""The page waits its turn: while the mirror is full a real Chromium page shows "you are number N",
asks again with its ticket, and connects when the place is free."""
from __future__ import annotations

import pytest

from tests.browser import chromium_page
from tests.hardening import settings_from_env
from tests.live_server import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_the_page_shows_its_place_in_the_queue_and_gets_in_when_it_is_free(camera, silence):
    settings = settings_from_env(max_sessions=1, queue_poll_s=0.5, ticket_ttl_s=10, media_timeout_s=2,
                                 reap_interval_s=0.2)
    with LiveServer(settings) as server, chromium_page(camera, silence) as first:
        first.goto(server.url + "/")
        first.wait_for_function("window.mirrorStats.connected", timeout=30_000)  # the mirror is taken
        second = first.context.new_page()
        second.goto(server.url + "/")
        second.wait_for_function("window.mirrorStats.queuePosition === 1", timeout=20_000)
        assert "you are number 1" in second.locator("#notice").inner_text()
        assert second.evaluate("window.mirrorStats.state") == "waiting"
        first.close()  # the first person walks away
        second.wait_for_function("window.mirrorStats.connected", timeout=30_000)
        assert second.evaluate("window.mirrorStats.queuePosition") is None
        assert len(server.sessions) == 1
