"""The operator's view of an unattended mirror: GET /status with the admin token, and `mirror status`
printing the same. (A live session's fps, presence and stage health: tests/e2e/test_kiosk_page.py.)"""
from __future__ import annotations

import logging

import httpx
import pytest

from mirror.server.settings import Settings
from tests.live_server import LiveServer, free_port
from tools.cli import main

TOKEN = "operator-secret"


@pytest.fixture(scope="module")
def server():
    settings = Settings.load(environ={}).replace(port=0, speech=False, embeddings=False, stages=("passthrough",),
                                                 kiosk=True, admin_token=TOKEN)
    with LiveServer(settings) as live:
        yield live


def get_status(server, token: str | None = TOKEN) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.get(server.url + "/status", headers=headers, timeout=5)


def test_status_needs_the_operators_token(server):
    assert get_status(server, token=None).status_code == 401
    assert get_status(server, token="guess").status_code == 401
    assert get_status(server).status_code == 200


def test_status_is_refused_when_no_token_is_configured():
    settings = Settings.load(environ={}).replace(port=0, speech=False, embeddings=False, stages=("passthrough",))
    with LiveServer(settings) as live:
        response = httpx.get(live.url + "/status", headers={"Authorization": "Bearer anything"}, timeout=5)
    assert response.status_code == 403 and "MIRROR_ADMIN_TOKEN" in response.json()["error"]


def test_status_tells_uptime_stages_sessions_clips_and_the_last_errors(server):
    logging.getLogger("mirror.render.neural").error("the style network's session died")
    status = get_status(server).json()
    assert status["uptime_s"] > 0 and status["kiosk"] is True
    assert status["stages"] == ["passthrough"] and status["speech"] is False
    assert status["sessions"] == [] and status["stage_health"] == {}
    clips = server.app.state.services.clips
    assert status["clips"] == {"count": 0, "disk_bytes": clips.disk_usage()}  # its metadata database, so far
    newest = status["last_errors"][0]
    assert (newest["level"], newest["logger"]) == ("ERROR", "mirror.render.neural")
    assert newest["message"] == "the style network's session died"


def test_mirror_status_prints_the_same_for_the_operator(server, capsys):
    logging.getLogger("mirror.session.session").warning("session 1234: connection failed")
    assert main(["status", "--url", server.url, "--token", TOKEN]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"Magic Mirror at {server.url}: up ")
    assert "kiosk on" in out and "stages: passthrough" in out and "sessions: 0" in out
    assert "clips: 0, 0.0 MB on disk" in out and "WARNING mirror.session.session: session 1234: connection failed" in out


def test_mirror_status_says_when_it_is_refused_or_cannot_reach_the_mirror(server, capsys):
    assert main(["status", "--url", server.url, "--token", "guess"]) == 2
    assert "refused" in capsys.readouterr().err
    assert main(["status", "--url", f"http://127.0.0.1:{free_port()}", "--token", TOKEN, "--timeout", "2"]) == 1
    assert "cannot reach" in capsys.readouterr().err
