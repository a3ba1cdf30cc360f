"""End to end, as a person records a clip: a real Chromium with a fake camera and a microphone playing
speech; type "start recording", then "stop recording"; the clip arrives on the page with a QR code
that a phone would scan, and the MP4 behind it is what the mirror showed and what was said."""
from __future__ import annotations

import time

import av
import cv2
import httpx
import numpy as np
import pytest

from mirror.server.settings import Settings
from tests.browser import chromium_page
from tests.live_server import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def talking(tmp_path_factory):
    from tests.speech_audio import spoken_wav

    return spoken_wav("hello from the magic mirror", tmp_path_factory.mktemp("voice"), lead_s=0.0, tail_s=0.3)


def type_command(page, text: str) -> None:
    page.fill("#command", text)
    page.press("#command", "Enter")


def test_a_recorded_clip_plays_from_its_qr_code_with_the_mirror_and_the_voice(camera, talking, tmp_path):
    settings = Settings.load(environ={}).replace(ice_addresses=("127.0.0.1",), speech=False, embeddings=False,
                                                 stages=("composite",), clips_dir=tmp_path / "clips", port=0)
    with LiveServer(settings) as server, chromium_page(camera, talking) as page:
        page.goto(server.url + "/")
        page.wait_for_function("window.mirrorStats.connected && window.mirrorStats.framesShown > 10", timeout=30_000)
        type_command(page, "put me in outer space")
        page.wait_for_function("window.mirrorStats.scene && window.mirrorStats.scene.theme === 'outer_space'")
        type_command(page, "start recording")
        page.wait_for_function("document.getElementById('countdown').classList.contains('show')", timeout=10_000)
        page.wait_for_function("window.mirrorStats.recording === 'recording'", timeout=10_000)
        started = time.monotonic()
        assert page.locator("#rec-indicator").is_visible()
        time.sleep(3)
        type_command(page, "stop recording")
        page.wait_for_function("window.mirrorStats.recording === 'saving' || window.mirrorStats.clip")
        recorded = time.monotonic() - started
        clip = page.wait_for_function("window.mirrorStats.clip", timeout=30_000).json_value()
        page.wait_for_function("document.getElementById('clip-qr').complete && "
                               "document.getElementById('clip-qr').naturalWidth > 0")
        page.wait_for_function("document.getElementById('clip-video').readyState >= 2", timeout=15_000)
        qr_png = page.locator("#clip-qr").screenshot()
        shot = tmp_path / "clip_ready.png"
        page.set_viewport_size({"width": 1280, "height": 720})
        page.screenshot(path=str(shot))

        qr_text, _, _ = cv2.QRCodeDetector().detectAndDecode(cv2.imdecode(np.frombuffer(qr_png, np.uint8),
                                                                           cv2.IMREAD_COLOR))
        assert qr_text == f"{server.url}/c/{clip['id']}"
        phone_page = httpx.get(qr_text, timeout=10)
        assert phone_page.status_code == 200 and f"/clips/{clip['id']}.mp4" in phone_page.text
        mp4 = httpx.get(server.url + clip["url"], timeout=10)
        jpg = httpx.get(server.url + clip["thumbnail"], timeout=10)
    assert jpg.headers["content-type"] == "image/jpeg" and jpg.content[:2] == b"\xff\xd8"
    (tmp_path / "clip.mp4").write_bytes(mp4.content)
    with av.open(str(tmp_path / "clip.mp4")) as container:
        video = container.streams.video[0]
        assert (video.codec_context.name, video.width, video.height) == ("h264", settings.width, settings.height)
        assert float(container.duration) / av.time_base == pytest.approx(recorded, rel=0.1)
        assert container.streams.audio[0].codec_context.name == "aac"
        sound = np.concatenate([f.to_ndarray().ravel() for f in container.decode(audio=0)])
    assert np.abs(sound).max() > 0.05, "the clip's sound track is silent"
    print(f"\nclip {clip['id']}: {recorded:.1f} s recorded; page screenshot {shot}")
