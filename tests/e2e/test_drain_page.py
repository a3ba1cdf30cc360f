"""A real Chromium page behind HAProxy when its mirror restarts: the page says so, keeps its mirror
until the drain deadline, then connects again by itself, through the balancer, to the other worker."""
from __future__ import annotations

import httpx
import pytest

from tests.browser import chromium_page
from tests.haproxy import HAProxy
from tests.hardening import free_port, settings_from_env
from tests.live_server import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TOKEN = "e2e-drain"
DRAIN_S = 2


def test_the_page_says_the_mirror_is_restarting_and_comes_back_on_another_worker(camera, silence):
    settings = settings_from_env(admin_token=TOKEN, drain_s=DRAIN_S, reap_interval_s=0.2)
    with LiveServer(settings) as w1, LiveServer(settings.replace(port=free_port())) as w2, \
            HAProxy(free_port(), {"w1": w1.settings.port, "w2": w2.settings.port}) as haproxy, \
            chromium_page(camera, silence) as page:
        page.goto(haproxy.url + "/")
        page.wait_for_function("window.mirrorStats.connected && window.mirrorStats.framesShown > 10", timeout=30_000)
        first = page.evaluate("window.mirrorStats.session")
        draining, staying = (w1, w2) if first in w1.sessions else (w2, w1)

        answer = httpx.post(draining.url + "/drain", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5)
        assert answer.status_code == 202
        page.wait_for_function("window.mirrorStats.draining !== undefined", timeout=10_000)
        assert "restarting" in page.locator("#notice").inner_text()

        # At the deadline its session is closed; the page's next offer reaches the worker that stays.
        page.wait_for_function(f"window.mirrorStats.connected && window.mirrorStats.session !== {first!r}",
                               timeout=30_000)
        assert page.evaluate("window.mirrorStats.session") in staying.sessions
        assert not draining.sessions
        shown = page.evaluate("window.mirrorStats.framesShown")
        page.wait_for_function(f"window.mirrorStats.framesShown > {shown + 10}", timeout=10_000)
        assert "restarting" not in page.locator("#notice").inner_text()
