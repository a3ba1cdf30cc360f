"""Validate before building: what a stranger sends — an offer, a data-channel message — is checked
before anything is made for it, is always answered, and never kills a session, floods the log or
leaks a speech listener. Real server, real aiortc clients and raw HTTP on loopback."""
from __future__ import annotations

import asyncio
import json
import logging
import threading

import httpx
import pytest

from tests.hardening import connect_page, make_offer, metric, post_offer, settings_from_env, wait_until
from tests.live_server import LiveServer


@pytest.fixture
def server():
    with LiveServer(settings_from_env(media_timeout_s=60)) as live:
        yield live


def send(page, message) -> None:
    page.channel.send(message if isinstance(message, str) else json.dumps(message))


async def test_a_deeply_nested_message_is_answered_and_the_session_lives(server):
    page = await connect_page(server.url)
    try:
        seen = len(page.events)
        send(page, "[" * 2048 + "]" * 2048)  # 4 kB: json.loads would recurse 2,048 deep
        error = await page.wait_event("error", after=seen)
        assert "nested deeper" in error["text"]
        send(page, {"v": 1, "type": "ping", "t": 1.5})
        pong = await page.wait_event("pong", after=seen)
        assert pong["t"] == 1.5
        frames = page.frames
        await page.wait_frames(frames + 10)  # the video goes on
        (session,) = server.sessions.values()
        assert session.pc.connectionState == "connected" and not session.closed.is_set()
    finally:
        await page.close()
    assert metric(server.metrics(), "mirror_bad_messages_total") == 1


async def test_a_ping_with_nan_is_answered_with_valid_json(server):
    page = await connect_page(server.url)
    try:
        seen = len(page.raw_events)
        for bad in ('{"v":1,"type":"ping","t":NaN}', '{"v":1,"type":"ping","t":Infinity}',
                    '{"v":1,"type":"ping","t":1e999}'):
            send(page, bad)
        await wait_until(lambda: len(page.raw_events) >= seen + 3, 10, "three answers")
        assert page.invalid_json == []
        assert [e["type"] for e in page.events[-3:]] == ["error"] * 3
    finally:
        await page.close()


async def test_a_flood_of_commands_neither_stalls_the_video_nor_floods_the_log(server, caplog):
    caplog.set_level(logging.INFO)
    page = await connect_page(server.url)
    try:
        await page.wait_frames(5)
        before = len(caplog.records)
        for i in range(1000):  # as fast as the data channel takes them
            send(page, {"v": 1, "type": "command", "text": f"give me a sword {i}"})
        send(page, {"v": 1, "type": "command", "text": "x" * 600})  # and some garbage among them
        frames = page.frames
        await page.wait_frames(frames + 30, timeout=20)  # the mirror keeps mirroring
        await asyncio.sleep(1.5)  # the rate limit refills: a ping is answered again
        seen = len(page.events)
        send(page, {"v": 1, "type": "ping", "t": 2.0})
        await page.wait_event("pong", after=seen)
    finally:
        await page.close()
    ours = [r for r in caplog.records[before:] if r.name.startswith(("mirror", "web"))]
    text = server.metrics()
    print(f"\n1,000 commands: {len(ours)} log lines, {metric(text, 'mirror_messages_rate_limited_total'):.0f} "
          f"dropped by the rate limit, {metric(text, 'mirror_log_lines_suppressed'):.0f} log lines suppressed")
    assert len(ours) < 60
    assert metric(text, "mirror_messages_rate_limited_total") > 900


async def test_offers_the_mirror_cannot_use_build_nothing(server, monkeypatch):
    import mirror.rtc.peer

    built = []

    class CountingPeerConnection(mirror.rtc.peer.RTCPeerConnection):
        def __init__(self, *args, **kwargs):
            built.append(1)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(mirror.rtc.peer, "RTCPeerConnection", CountingPeerConnection)
    pc, _ = await make_offer()
    sdp = pc.localDescription.sdp
    await pc.close()
    video = sdp[sdp.index("m=video"):sdp.index("m=application")]
    unusable = {
        "no camera": sdp.replace(video, ""),
        "two cameras": sdp.replace(video, video + video),
        "VP9 only": sdp.replace("VP8/90000", "VP9/90000").replace("H264/90000", "AV1/90000"),
        "no DTLS fingerprint": "\r\n".join(l for l in sdp.split("\r\n") if not l.startswith("a=fingerprint")),
        "not SDP": "hello",
        "a text track": sdp + "m=text 9 RTP/AVP 98\r\n",
    }
    for name, offer in unusable.items():
        response = await post_offer(server.url, offer)
        assert response.status_code == 400, name
        assert "cannot use this SDP offer" in response.json()["error"], name
    assert built == []  # no peer connection, so no thread, listener or decoder either
    assert not server.sessions


async def test_a_nested_offer_body_is_a_clear_400_not_a_500(server):
    async with httpx.AsyncClient() as client:
        for body in ("[" * 5000 + "]" * 5000, '{"sdp":' + "[" * 3000 + "1" + "]" * 3000 + ',"type":"offer"}'):
            response = await client.post(server.url + "/offer", content=body,
                                         headers={"content-type": "application/json"}, timeout=10)
            assert response.status_code == 400
            assert "nested deeper" in response.json()["error"]


def speech_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("speech")]


@pytest.mark.slow
async def test_several_microphones_are_refused_before_any_speech_listener_exists():
    settings = settings_from_env(media_timeout_s=60).replace(speech=True)
    with LiveServer(settings) as server:
        assert speech_threads() == []
        for _ in range(5):
            pc, _ = await make_offer(audio_tracks=4)
            response = await post_offer(server.url, pc.localDescription.sdp)
            await pc.close()
            assert response.status_code == 400
            assert "at most one microphone" in response.json()["error"]
        assert speech_threads() == [] and not server.sessions
        # One microphone: one listener while connected, none once the session is gone.
        page = await connect_page(server.url, audio_tracks=1)
        assert speech_threads().count("speech-listener") == 1
        await page.close()
        await wait_until(lambda: not server.sessions, 15, "speech session gone")
        await wait_until(lambda: "speech-listener" not in speech_threads(), 5, "speech listener thread ended")
