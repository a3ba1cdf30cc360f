"""Signalling and health endpoints: bad input gets a clear error and the server keeps serving."""
from __future__ import annotations

import json

import pytest
from starlette.testclient import TestClient

from mirror.server.settings import Settings
from web.app import create_app


@pytest.fixture(scope="module")
def client():
    settings = Settings.load(environ={}).replace(speech=False, embeddings=False, stages=("passthrough",),
                                                 max_body_bytes=16_000, ice_addresses=("127.0.0.1",))
    # The mirror's own origin: a loopback server answers loopback host names only (DNS rebinding).
    with TestClient(create_app(settings), base_url="http://127.0.0.1:8000") as c:
        yield c


def test_page_is_served(client):
    page = client.get("/")
    assert page.status_code == 200
    assert "<video id=\"mirror\"" in page.text
    assert client.get("/static/mirror.js").status_code == 200


def test_healthz_says_what_is_loaded(client):
    assert client.get("/healthz").json() == {"ok": True, "sessions": 0, "stages": ["passthrough"], "speech": False,
                                              "notices": [], "unavailable": {}}


@pytest.mark.parametrize(
    "body, status, complaint",
    [
        (b"{not json", 400, "must be JSON"),
        (json.dumps({"sdp": "v=0", "type": "answer"}).encode(), 400, "invalid offer: type"),
        (json.dumps({"type": "offer"}).encode(), 400, "invalid offer: sdp"),
        (json.dumps({"sdp": "this is not sdp", "type": "offer"}).encode(), 400, "cannot use this SDP offer"),
        (b"[" * 3000 + b"]" * 3000, 400, "nested deeper than"),
        (b'{"sdp": NaN, "type": "offer"}', 400, "NaN is not a JSON number"),
        (json.dumps({"sdp": "v=0\r\n" + "a=x\r\n" * 5000, "type": "offer"}).encode(), 413, "larger than"),
    ],
)
def test_bad_offers_get_a_clear_error(client, body, status, complaint):
    response = client.post("/offer", content=body, headers={"content-type": "application/json"})
    assert response.status_code == status
    assert complaint in response.json()["error"]
    assert client.get("/healthz").json()["sessions"] == 0


def test_metrics_are_prometheus_text(client):
    text = client.get("/metrics").text
    for name in ("mirror_sessions_active", "mirror_frame_latency_seconds_bucket", "mirror_offers_rejected_total"):
        assert name in text
