"""The latency bench's parts: loopback-only ICE, the flash detector and a real aiortc echo call.

Timings themselves belong to `mirror bench latency`; these tests check that the bench measures what
it claims (every flash is matched to the right return, media stays on 127.0.0.1, both receive paths
release frames on the marker bit)."""
from __future__ import annotations

import numpy as np
import av
import pytest
from aiortc import RTCConfiguration, RTCPeerConnection

from tools.bench.latency import BRIGHT_STEP, EchoPeer, FlashDetector, _non_loopback_candidates, measure
from mirror.rtc.jitter import marker_buffer
from mirror.rtc.loopback import host_addresses


def candidate_addresses(sdp: str) -> set[str]:
    return {line.split()[4] for line in sdp.splitlines() if line.startswith("a=candidate:")}


async def gathered_addresses() -> set[str]:
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    try:
        pc.addTransceiver("video")
        await pc.setLocalDescription(await pc.createOffer())
        return candidate_addresses(pc.localDescription.sdp)
    finally:
        await pc.close()


async def test_restricted_host_candidates_are_loopback_only():
    with host_addresses(["127.0.0.1"]):
        assert await gathered_addresses() == {"127.0.0.1"}


async def test_stock_aioice_skips_loopback_which_is_why_we_restrict():
    assert "127.0.0.1" not in await gathered_addresses()


def test_restricting_to_nothing_is_refused():
    with pytest.raises(ValueError):
        with host_addresses([]):
            pass


def test_answer_with_a_non_loopback_candidate_is_spotted():
    sdp = "\r\n".join([
        "a=candidate:1 1 udp 2130706431 127.0.0.1 5000 typ host",
        "a=candidate:2 1 udp 2130706431 10.1.2.3 5001 typ host",
    ])
    assert _non_loopback_candidates(sdp) == {"10.1.2.3"}


def gray_frame(level: int) -> av.VideoFrame:
    return av.VideoFrame.from_ndarray(np.full((48, 64, 3), level, np.uint8), format="rgb24").reformat(format="yuv420p")


def test_flash_detector_matches_each_flash_to_its_first_bright_return():
    sent: list[float] = []
    detector = FlashDetector(sent)
    t = 0.0
    for _ in range(10):  # normal frames set the baseline
        t += 0.033
        detector.see(gray_frame(100), t)
    sent.append(t + 0.01)  # flash 0 leaves the client
    for level in (100, 100, 100 + 2 * BRIGHT_STEP, 100 + 2 * BRIGHT_STEP, 100, 100):
        t += 0.033
        detector.see(gray_frame(level), t)
    sent.append(t + 0.005)  # flash 1
    for level in (100, 100 + 2 * BRIGHT_STEP, 100):
        t += 0.033
        detector.see(gray_frame(level), t)
    # Flash 0 came back on the 3rd frame after it (the 4th frame, still bright, is not a new flash);
    # flash 1 on the 2nd.
    assert detector.latencies == pytest.approx([3 * 0.033 - 0.01, 2 * 0.033 - 0.005])


def test_flash_detector_ignores_small_changes():
    detector = FlashDetector([0.0])
    for i, level in enumerate([100] * 10 + [100 + BRIGHT_STEP // 2] * 5):
        detector.see(gray_frame(level), 0.1 + i * 0.033)
    assert detector.latencies == []


async def test_aiortc_echo_over_loopback_returns_every_flash_with_marker_completion_at_both_ends():
    with host_addresses(["127.0.0.1"]):
        echo = EchoPeer(marker_completion=True)
        try:
            outcome = await measure(echo, flashes=3, period=0.5, client_fix=True, warmup=0.5)
        finally:
            await echo.close()
    assert outcome.flashes_sent == 3
    assert len(outcome.latencies) == 3
    assert outcome.client_marker_frames and outcome.client_marker_frames > 30
    server_buffer = marker_buffer(echo.receivers[0])
    assert server_buffer is not None and server_buffer.marker_frames > 30
    # Every frame but the first was completed on its marker bit: nothing waited for its successor.
    assert server_buffer.fallback_frames <= 1


def test_flash_detector_follows_a_lasting_shift_in_brightness():
    """A scene change lifts the level for good (a bright moment, then less than a flash above the
    old level): the baseline must follow it, or the detector never re-arms for the next flash."""
    sent: list[float] = []
    detector = FlashDetector(sent, step=12)
    t = 0.0
    for level in [100] * 10 + [120] + [110] * 20:  # +10: below the step, above half of it
        t += 0.033
        detector.see(gray_frame(level), t)
    sent.append(t + 0.01)
    for level in (110, 110 + 18, 110):
        t += 0.033
        detector.see(gray_frame(level), t)
    assert detector.latencies == pytest.approx([2 * 0.033 - 0.01])


def test_a_configuration_may_name_its_scene_so_styled_and_plain_rows_share_a_run():
    from tools.bench.latency import SCENES, Config

    styled = Config.parse("composite+neural:fixed@theme+style")
    assert (styled.renderer, styled.server_fix, styled.scene) == ("composite+neural", True, "theme+style")
    assert styled.label == "composite+neural:fixed@theme+style"
    assert "van gogh" in SCENES["theme+style"] and "van gogh" not in SCENES["theme"]
    with pytest.raises(ValueError, match="unknown scene"):
        Config.parse("composite:fixed@disco")
