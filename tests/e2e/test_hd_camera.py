"""The laptop mirror in HD end to end (issue 24): a real headless Chromium whose fake camera gives
1280×720, against the real server over WebRTC on loopback, with a theme, two props and the neural
style on. The page asks for HD; the server renders at the camera's size and its quality loop
steps the output down while this machine cannot hold 30 fps, and tells the page, which then sends
its camera at that size.

What is asserted is what must hold anywhere: the page shows the mirror at a size on the quality
loop's ladder for a 16:9 camera, never below the floor (640×480's box: 640×360); the size the page
shows is the one the server renders (on `/metrics`, whatever changed it: a step of the loop, or
the browser lowering its own send size under CPU load, which it often does before the loop steps);
the page never sends more than that; and what the server renders fits the loop's box. Which size
this machine ends at, and the frame rate, are printed, not asserted: this box is shared and noisy
(`mirror bench latency --camera 1280x720` measures them against their baseline).
"""
from __future__ import annotations

import time

import pytest

from mirror.server.settings import Settings
from tests.browser import chromium_page
from tools.fake_media import write_y4m
from tests.live_server import LiveServer, metric
from tools.testclip import clip_frames

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LADDER_16_9 = [(1280, 720), (960, 540), (640, 360)]  # 1280×720, 960×540 and 640×480's boxes, for 16:9
BOX_HEIGHT = {(1280, 720): 720, (960, 540): 540, (640, 360): 480}  # the loop's box for each size
SETTLE_S = 15.0  # the quality loop's steps down take a few seconds each
SAMPLE_S = 8.0
AGREE_S = 10.0  # a size change in flight reaches the page within a few frames: this is a hang detector
# The size of the camera frames the page's peer connection encodes now, from its WebRTC stats.
SENT_SIZE_JS = """async () => {
  let size = null;
  (await pc.getStats()).forEach((r) => {
    if (r.type === "outbound-rtp" && r.kind === "video" && r.frameWidth) size = [r.frameWidth, r.frameHeight];
  });
  return size;
}"""
SCENE = ["put me in game of thrones", "give me a blue sword", "give me a crown", "make it look like van gogh"]


def fits(inner: tuple[int, int], outer: tuple[int, int]) -> bool:
    return inner[0] <= outer[0] and inner[1] <= outer[1]


@pytest.fixture(scope="module")
def hd_camera(tmp_path_factory):
    """The swaying astronaut at 1280×720, 2 s, as a 4:2:0 Y4M (Chromium loops it)."""
    frames = (f.image for f in clip_frames(60, 1280, 720))
    return write_y4m(tmp_path_factory.mktemp("media") / "astronaut_720p.y4m", frames)


def test_a_720p_camera_gets_the_largest_mirror_this_machine_holds_never_below_the_floor(hd_camera, silence):
    settings = Settings.load(environ={}).replace(ice_addresses=("127.0.0.1",), embeddings=False, speech=False,
                                                 stages=("composite", "neural"))
    with LiveServer(settings) as server, chromium_page(hd_camera, silence) as page:
        page.goto(server.url + "/")
        page.wait_for_function("window.mirrorStats.connected && window.mirrorStats.framesShown > 10", timeout=30_000)
        for command in SCENE:
            page.fill("#command", command)
            page.press("#command", "Enter")
        page.wait_for_function("window.mirrorStats.scene && window.mirrorStats.scene.style === 'van_gogh'"
                               " && window.mirrorStats.scene.props.length === 2", timeout=15_000)
        time.sleep(SETTLE_S)
        samples = []
        shown_before = page.evaluate("window.mirrorStats.framesShown")
        started = time.monotonic()
        while time.monotonic() - started < SAMPLE_S:
            time.sleep(1.0)
            samples.append(tuple(page.evaluate("window.mirrorStats.size")))
        fps = (page.evaluate("window.mirrorStats.framesShown") - shown_before) / (time.monotonic() - started)
        # The page shows the size the server renders now (on /metrics), and sends no more than that.
        # Read together, waiting out a change in flight: a step, or the browser's own send size,
        # reaches the page a frame or two after the server.
        deadline = time.monotonic() + AGREE_S
        while True:
            size, metrics = tuple(page.evaluate("window.mirrorStats.size")), server.metrics()
            sent = tuple(page.evaluate(SENT_SIZE_JS))
            rendered = (metric(metrics, "mirror_render_width"), metric(metrics, "mirror_render_height"))
            if (size == rendered and fits(sent, size)) or time.monotonic() > deadline:
                break
            time.sleep(0.2)

    steps = {d: metric(metrics, "mirror_quality_steps_total", direction=d) for d in ("down", "up")}
    causes = {c: metric(metrics, "mirror_render_size_changes_total", cause=c) for c in ("quality", "camera")}
    print(f"\n1280×720 camera, Game of Thrones + blue sword + crown + Van Gogh: the page shows "
          f"{size[0]}×{size[1]} at {fps:.1f} fps (target ≥ 28); sizes over {SAMPLE_S:.0f} s: {samples}; "
          f"quality steps down {steps['down']:.0f}, up {steps['up']:.0f}; rendered size changes by the loop "
          f"{causes['quality']:.0f}, by the camera {causes['camera']:.0f}; the camera is sent at {sent[0]}×{sent[1]}")
    assert fps > 0
    assert all(s in LADDER_16_9 for s in [*samples, size]), f"a size off the ladder or below the floor: {samples}"
    assert size == (int(rendered[0]), int(rendered[1])), f"the page shows {size}, the server renders {rendered}"
    # Told the size, the page sends no more than the server renders (the browser may send less
    # while its own encoder adapts to the CPU).
    assert fits(sent, size), (sent, size)
    # The loop's own account: each step moved its box one rung, and what it renders fits that box.
    level = int(steps["down"] - steps["up"])
    assert 0 <= level < len(LADDER_16_9), steps
    if level:
        assert metric(metrics, "mirror_output_height") == BOX_HEIGHT[LADDER_16_9[level]]
    assert size[1] <= BOX_HEIGHT[LADDER_16_9[level]], (size, steps)
