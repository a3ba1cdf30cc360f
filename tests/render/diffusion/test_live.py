"""The generative mirror live, on this CPU with the tiny random model: a real server running
composite + diffusion, an aiortc client and a real Chromium receive generated frames, and a typed
"put me in Game of Thrones" changes the prompt the diffusion stage draws."""
from __future__ import annotations

import asyncio
import json

import numpy as np
import pytest

from mirror.server.settings import Settings
from tests.browser import chromium_page
from tools.fake_media import write_wav, write_y4m
from tests.live_server import LiveServer
from tests.mirror_client import MirrorClient
from tools.testclip import clip_frames

pytestmark = pytest.mark.slow


def tiny_settings() -> Settings:
    return Settings.load(environ={}).replace(
        speech=False, embeddings=False, stages=("composite", "diffusion"), diffusion_model="tiny",
        diffusion_size=128, ice_addresses=("127.0.0.1",))


async def prompt_of(client: MirrorClient) -> dict:
    """The diffusion stage's status, from the stats the server answers a ping with."""
    client.channel.send(json.dumps({"v": 1, "type": "ping", "t": 1.0}))
    count = sum(1 for e in client.events if e["type"] == "pong")
    while sum(1 for e in client.events if e["type"] == "pong") == count:
        await asyncio.sleep(0.05)
    return [e for e in client.events if e["type"] == "pong"][-1]["stats"]["stages"]["diffusion"]


async def test_an_outside_client_receives_generated_frames_and_a_typed_command_changes_the_prompt():
    with LiveServer(tiny_settings()) as server:
        client = await MirrorClient(server.url).connect(audio=False)
        try:
            hello = await client.event("hello")
            assert hello["stages"] == ["composite", "diffusion"]
            (session,) = server.sessions.values()
            for _ in range(300):
                if session.stats.frames_out >= 10:
                    break
                await asyncio.sleep(0.1)
            assert session.stats.frames_out >= 10  # generated frames went out over WebRTC
            before = await asyncio.wait_for(prompt_of(client), 10)
            client.say("put me in Game of Thrones")
            await client.event("scene")
            for _ in range(100):
                after = await asyncio.wait_for(prompt_of(client), 10)
                if after["prompt_version"] != before["prompt_version"]:
                    break
                await asyncio.sleep(0.1)
            metrics = server.metrics()
        finally:
            await client.close()
    assert "Game of Thrones" not in (before["prompt"] or "")
    assert "Game of Thrones" in after["prompt"]
    assert 'mirror_stage_seconds_count{stage="diffusion"}' in metrics  # the stage drew frames


@pytest.mark.browser
def test_the_browser_shows_generated_frames_and_the_prompt_follows_a_typed_command(tmp_path):
    camera = write_y4m(tmp_path / "astronaut.y4m", (f.image for f in clip_frames(30)))
    silence = write_wav(tmp_path / "silence.wav", np.zeros(16000, np.float32), 16000)
    with LiveServer(tiny_settings()) as server, chromium_page(camera, silence) as page:
        page.goto(server.url + "/")
        page.wait_for_function("window.mirrorStats.connected && window.mirrorStats.framesShown > 10", timeout=60_000)
        assert page.evaluate("window.mirrorStats.stages") == ["composite", "diffusion"]
        page.fill("#command", "put me in Game of Thrones")
        page.press("#command", "Enter")
        page.wait_for_function(
            "window.mirrorStats.server && window.mirrorStats.server.stages.diffusion.prompt &&"
            " window.mirrorStats.server.stages.diffusion.prompt.includes('Game of Thrones')", timeout=30_000)
        shown = page.evaluate("window.mirrorStats.framesShown")
        page.wait_for_function(f"window.mirrorStats.framesShown > {shown + 5}", timeout=30_000)
