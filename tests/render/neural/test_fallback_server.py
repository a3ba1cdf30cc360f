"""A neural model that cannot load is one clear start-up error; the server runs the composite alone
and tells every page why (real server, real aiortc client over loopback)."""
from __future__ import annotations

import asyncio
import json
import logging

import httpx
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import VideoStreamTrack

from mirror.render.neural import models
from mirror.server.settings import Settings
from tests.live_server import LiveServer


async def events_of_a_page(url: str, until: str, timeout: float = 20.0) -> list[dict]:
    """Connect like the page does (camera track + data channel) and collect events until `until`."""
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    events: list[dict] = []
    arrived = asyncio.Event()
    try:
        pc.addTransceiver(VideoStreamTrack(), direction="sendrecv")
        channel = pc.createDataChannel("events")

        @channel.on("message")
        def on_message(raw):
            events.append(json.loads(raw))
            if events[-1]["type"] == until:
                arrived.set()

        await pc.setLocalDescription(await pc.createOffer())
        async with httpx.AsyncClient() as client:
            response = await client.post(url + "/offer", json={"sdp": pc.localDescription.sdp, "type": "offer"},
                                         timeout=30)
        response.raise_for_status()
        await pc.setRemoteDescription(RTCSessionDescription(**{k: response.json()[k] for k in ("sdp", "type")}))
        await asyncio.wait_for(arrived.wait(), timeout)
        return events
    finally:
        await pc.close()


async def test_a_broken_neural_model_is_one_start_up_error_and_every_page_is_told(tmp_path, monkeypatch, caplog):
    (tmp_path / models.MODEL_FILE).write_bytes(b"\x00not onnx" * 100)
    monkeypatch.setattr(models, "models_dir", lambda: tmp_path)
    settings = Settings.load(environ={}).replace(speech=False, embeddings=False, stages=("composite", "neural"),
                                                 ice_addresses=("127.0.0.1",))
    with caplog.at_level(logging.ERROR), LiveServer(settings) as server:
        health = httpx.get(server.url + "/healthz", timeout=5).json()
        first = await events_of_a_page(server.url, until="notice")
        second = await events_of_a_page(server.url, until="notice")
    assert health["stages"] == ["composite"]
    (notice,) = health["notices"]
    assert notice.startswith("The neural stage is off:") and str(tmp_path) in notice and "composite" in notice
    for events in (first, second):
        hello = next(e for e in events if e["type"] == "hello")
        assert hello["stages"] == ["composite"]
        assert [e["text"] for e in events if e["type"] == "notice"] == [notice]
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR and "neural" in r.getMessage()]
    assert len(errors) == 1  # once at start-up, not once per session
