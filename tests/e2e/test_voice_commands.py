"""End to end by voice (issue 21): a real headless Chromium whose fake microphone speaks five
everyday commands, one after another, to the real server over WebRTC on loopback. Each must give
the right scene, read off the page's data channel and checked on the server's session.

The microphone file (Chromium loops it) holds a long silence while the page connects and a sword is
typed, the five commands two and a half seconds apart, then silence longer than the test.
"""
from __future__ import annotations

import numpy as np
import pytest

from mirror.server.settings import Settings
from tests.browser import chromium_page
from tools.fake_media import write_wav
from tests.live_server import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LOOPBACK = ("127.0.0.1",)
CONNECT_S = 10.0  # leading silence: page load, WebRTC set-up and the typed sword fit in it
GAP_S = 2.5
# Spoken at 130 words a minute, as people speak to a kiosk. This test checks the path, not the
# hearing: each phrase is one that whisper base hears right every time on this path, measured by
# `mirror bench voice` (20 times each, in the scene the test says it in; 2026-12-07, a loaded box):
# all five 20/20. Phrases that missed there stay out of this test and are figures of the benches:
# "undo that" 4/20 ("A blue hat."), "not a sword, a crown" 0/20 ("Haga sword…"); the lone "undo"
# was 40/40 there but read "A blue." in one run of this test in six (issue 30), so the test says
# "undo the last change" (heard as said, 20/20).
SPEED_WPM = 130

# (what is said, the scene after it: props as "colour kind", theme, style). A sword is typed first.
COMMANDS = [
    ("paint me like Rembrandt", ["sword"], None, "oil_painting"),  # a painter's style
    ("undo the last change", ["sword"], None, None),  # undo
    ("no, not a sword, a crown", ["crown"], None, None),  # a correction
    ("make it blue", ["blue crown"], None, None),  # a colour
    ("take me to Elsa's castle", ["blue crown"], "ice_palace", None),  # a theme, by a character's name
]

# Every scene event that came from the microphone, in order, kept by the page as it arrives.
RECORD_VOICE_SCENES = """
window.voiceScenes = [];
window.addEventListener("mirror-event", (e) => {
  if (e.detail.type === "scene" && e.detail.source === "voice") window.voiceScenes.push(e.detail);
});
"""


@pytest.fixture(scope="module")
def five_commands(tmp_path_factory):
    from tests.speech_audio import silence, speak

    directory = tmp_path_factory.mktemp("voice")
    parts = [silence(CONNECT_S)]
    for text, *_ in COMMANDS:
        parts += [speak(text, directory, "en-us", SPEED_WPM), silence(GAP_S)]
    parts.append(silence(60.0))
    return write_wav(directory / "five_commands.wav", np.concatenate(parts), 16000)


def described(scene: dict) -> tuple[list[str], str | None, str | None]:
    props = [" ".join(w for w in (p["color"], p["kind"]) if w) for p in scene["props"]]
    return props, scene["theme"], scene["style"]


def test_five_spoken_commands_each_give_the_right_scene(camera, five_commands):
    settings = Settings.load(environ={}).replace(ice_addresses=LOOPBACK, embeddings=False, stages=("composite",))
    with LiveServer(settings) as server, chromium_page(camera, five_commands) as page:
        page.add_init_script(RECORD_VOICE_SCENES)
        page.goto(server.url + "/")
        page.wait_for_function("window.mirrorStats.connected && window.mirrorStats.events.includes('hello')",
                               timeout=30_000)
        assert page.evaluate("window.voiceScenes.length") == 0, "a command was heard before the sword was typed"
        page.fill("#command", "give me a sword")
        page.press("#command", "Enter")
        page.wait_for_function("window.mirrorStats.scene && window.mirrorStats.scene.props.length === 1",
                               timeout=15_000)
        page.wait_for_function(f"window.voiceScenes.length >= {len(COMMANDS)}", timeout=90_000)
        events = page.evaluate("window.voiceScenes")
        (session,) = server.sessions.values()
        heard = [(e.get("heard", e["utterance"]), e["utterance"]) for e in events]
        print("\nheard → understood: " + "; ".join(f"{h!r} → {u!r}" for h, u in heard))
        for (said, props, theme, style), event in zip(COMMANDS, events):
            assert described(event["scene"]) == (props, theme, style), f"{said!r} was understood as {event['utterance']!r}"
        assert len(events) == len(COMMANDS), f"more utterances than commands: {heard}"
        final = session.scene
        assert ([" ".join(w for w in (p.color, p.kind) if w) for p in final.props], final.theme, final.style) == \
            tuple(COMMANDS[-1][1:])
