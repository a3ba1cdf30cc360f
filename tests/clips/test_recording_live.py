"""Recording against the real server: a typed "start recording", a clip message, and the MP4 over
HTTP; a client that vanishes and a server stopped with SIGTERM mid-recording still leave a
finished, playable clip."""
from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time

import av
import httpx
import numpy as np
import pytest

from mirror.clips.store import ClipStore
from mirror.server.settings import Settings
from tests.live_server import LiveServer, free_port
from tests.mirror_client import MirrorClient

pytestmark = pytest.mark.slow


def settings_for(clips_dir, **changes) -> Settings:
    return Settings.load(environ={}).replace(speech=False, embeddings=False, stages=("passthrough",),
                                             ice_addresses=("127.0.0.1",), clips_dir=clips_dir,
                                             clip_countdown_s=1, port=0, **changes)


def assert_playable(path, width=640, height=480, seconds=None):
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        assert (video.codec_context.name, video.width, video.height) == ("h264", width, height)
        frames = sum(1 for _ in container.decode(video=0))
        assert frames > 10
        duration = float(container.duration) / av.time_base
        if seconds is not None:
            assert duration == pytest.approx(seconds, rel=0.1)
        return duration


async def test_start_and_stop_recording_gives_a_clip_message_and_an_mp4_of_what_was_sent(tmp_path):
    with LiveServer(settings_for(tmp_path / "clips")) as server:
        client = await MirrorClient(server.url).connect()
        try:
            client.say("start recording")
            await client.event("recording", state="countdown")
            await client.event("recording", state="recording")
            started = time.monotonic()
            await asyncio.sleep(2.5)
            client.say("stop recording")
            await client.event("recording", state="saving")
            recorded = time.monotonic() - started
            clip = await client.event("clip")
            async with httpx.AsyncClient(base_url=server.url) as http:
                mp4 = await http.get(clip["url"])
                jpg = await http.get(clip["thumbnail"])
                page = await http.get(clip["page"])
        finally:
            await client.close()
    assert mp4.status_code == 200 and jpg.content[:2] == b"\xff\xd8" and clip["url"] in page.text
    (tmp_path / "got.mp4").write_bytes(mp4.content)
    assert_playable(tmp_path / "got.mp4", seconds=recorded)
    with av.open(str(tmp_path / "got.mp4")) as container:
        sound = np.concatenate([f.to_ndarray().ravel() for f in container.decode(audio=0)])
    assert np.sqrt(np.mean(sound ** 2)) > 0.05  # the client's tone, not silence


async def test_the_maximum_length_stops_the_recording_by_itself(tmp_path):
    with LiveServer(settings_for(tmp_path / "clips", clip_max_seconds=1.5)) as server:
        client = await MirrorClient(server.url).connect(audio=False)
        try:
            client.say("record a clip")
            await client.event("recording", state="recording")
            clip = await client.event("clip", timeout=20)
        finally:
            await client.close()
    assert clip["duration_s"] <= 1.5


async def test_a_client_that_vanishes_mid_recording_leaves_a_finished_playable_clip(tmp_path):
    with LiveServer(settings_for(tmp_path / "clips")) as server:
        client = await MirrorClient(server.url).connect()
        client.say("start recording")
        await client.event("recording", state="recording")
        await asyncio.sleep(1.5)
        await client.close()  # gone, without a word about the recording
        deadline = time.monotonic() + 20
        while server.sessions and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        assert not server.sessions
    (clip,) = ClipStore(tmp_path / "clips", retention_s=3600, quota_bytes=10**9).list()
    assert_playable(tmp_path / "clips" / f"{clip.id}.mp4")
    assert not list((tmp_path / "clips").glob("*.part"))


async def test_a_server_stopped_with_sigterm_mid_recording_finishes_the_clip(tmp_path):
    port = free_port()
    env = {**os.environ, "MIRROR_PORT": str(port), "MIRROR_SPEECH": "false", "MIRROR_EMBEDDINGS": "false",
           "MIRROR_STAGES": "passthrough", "MIRROR_ICE_ADDRESSES": "127.0.0.1",
           "MIRROR_CLIPS_DIR": str(tmp_path / "clips"), "MIRROR_CLIP_COUNTDOWN_S": "1", "MIRROR_DRAIN_S": "1"}
    server = subprocess.Popen([sys.executable, "-m", "tools.cli", "serve"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                await asyncio.sleep(0.2)
        client = await MirrorClient(url).connect()
        client.say("start recording")
        await client.event("recording", state="recording")
        await asyncio.sleep(1.5)
        server.send_signal(signal.SIGTERM)
        # The drain lets the session run its 1 s, then closes it (the recording finished) and exits 0.
        assert await asyncio.to_thread(server.wait, 30) == 0
        assert b" closed: " in server.stdout.read()  # the session was closed, not killed
        await client.close()
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    (clip,) = ClipStore(tmp_path / "clips", retention_s=3600, quota_bytes=10**9).list()
    assert_playable(tmp_path / "clips" / f"{clip.id}.mp4")
    assert not list((tmp_path / "clips").glob("*.part"))


async def test_saying_stop_when_nothing_records_changes_nothing_and_the_scene_still_edits(tmp_path):
    with LiveServer(settings_for(tmp_path / "clips")) as server:
        client = await MirrorClient(server.url).connect(audio=False)
        try:
            client.say("stop")
            client.say("put me in game of thrones")
            scene = await client.event("scene")
        finally:
            await client.close()
    assert scene["scene"]["theme"] == "game_of_thrones"
    assert not any(e["type"] == "recording" for e in client.events)
