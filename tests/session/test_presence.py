"""Someone in front of the kiosk, from the pose of the frames it sends: when the page is told that a
person came or went, and when their scene is forgotten."""
from __future__ import annotations

import asyncio

import numpy as np
import pytest

from mirror.events import FrameSent, Outbox, PresenceChanged
from mirror.frames.pipeline import Frame
from mirror.server.metrics import Metrics
from mirror.server.settings import Settings
from mirror.session.presence import ABSENT, PRESENT, PRESENT_AFTER_S, RESET, KioskPresence, Presence
from pose import Pose

FPS = 30


def run(presence: Presence, timeline: list[tuple[float, bool]], until: float) -> list[tuple[float, str]]:
    """Feed frames at 30 fps: `timeline` is [(from_s, person_there)], in order. Returns (time, change)."""
    changes = []
    for i in range(int(until * FPS)):
        t = i / FPS
        there = [found for start, found in timeline if start <= t][-1]
        changes += [(t, change) for change in presence.observe(there, t)]
    return changes


def at(changes, change: str) -> list[float]:
    return [t for t, c in changes if c == change]


def test_nobody_is_there_until_a_pose_has_been_seen_for_half_a_second():
    presence = Presence(absent_after_s=2, reset_after_s=1)
    changes = run(presence, [(0, False), (1, True)], until=3)
    assert presence.present
    assert at(changes, PRESENT) == [pytest.approx(1 + PRESENT_AFTER_S, abs=1.5 / FPS)]
    assert at(changes, ABSENT) == [] and at(changes, RESET) == []


def test_a_passer_by_or_a_one_frame_detection_does_not_wake_the_mirror():
    presence = Presence(absent_after_s=2, reset_after_s=1)
    flicker = [(0, False), (1, True), (1 + 2 / FPS, False), (2, True), (2.3, False)]
    assert run(presence, flicker, until=6) == []


def test_the_scene_resets_after_the_grace_period_and_the_attract_screen_follows():
    presence = Presence(absent_after_s=3, reset_after_s=2)
    changes = run(presence, [(0, True), (2, False)], until=8)
    last_seen = 2 - 1 / FPS
    assert [c for _, c in changes] == [PRESENT, RESET, ABSENT]
    assert at(changes, RESET) == [pytest.approx(last_seen + 2, abs=1.5 / FPS)]
    assert at(changes, ABSENT) == [pytest.approx(last_seen + 3, abs=1.5 / FPS)]


def test_a_visitor_who_steps_aside_for_less_than_the_grace_period_keeps_their_scene():
    presence = Presence(absent_after_s=3, reset_after_s=2)
    changes = run(presence, [(0, True), (2, False), (3.5, True)], until=8)
    assert [c for _, c in changes] == [PRESENT]


def test_the_next_visitor_is_welcomed_after_the_last_one_left():
    presence = Presence(absent_after_s=3, reset_after_s=2)
    changes = run(presence, [(0, True), (2, False), (7, True)], until=10)
    assert [c for _, c in changes] == [PRESENT, RESET, ABSENT, PRESENT]
    assert at(changes, PRESENT)[1] == pytest.approx(7 + PRESENT_AFTER_S, abs=1.5 / FPS)
    assert presence.arrived_at == pytest.approx(7, abs=1.5 / FPS)


def test_absence_is_noticed_when_frames_stop_coming():
    presence = Presence(absent_after_s=3, reset_after_s=2)
    run(presence, [(0, True)], until=1)  # then the camera is unplugged: no frames, only ticks
    ticks = [(t / 10, c) for t in range(10, 60) for c in presence.tick(t / 10)]
    assert [c for _, c in ticks] == [RESET, ABSENT]
    assert at(ticks, ABSENT)[0] == pytest.approx(1 + 3, abs=0.15)


def test_nobody_seen_since_start_resets_nothing():
    presence = Presence(absent_after_s=1, reset_after_s=0.5)
    assert run(presence, [(0, False)], until=5) == []
    assert not presence.present


async def test_a_frame_without_a_pose_says_nothing_about_who_is_there():
    """The first frames and a frame whose size just changed have no pose: not the same as nobody."""
    outbox = Outbox(asyncio.get_running_loop())
    told: list[PresenceChanged] = []
    outbox.subscribe(PresenceChanged, told.append)
    someone = Pose(np.ones((33, 3), np.float32), None, 640, 480)
    nobody = Pose.empty(640, 480)
    kiosk = KioskPresence("test", Settings(kiosk_absent_s=3, kiosk_reset_s=2), outbox, Metrics())

    def sent(pose, at):
        outbox.publish(FrameSent(Frame(seq=0, received_at=at, pose=pose, timings={"sent_at": at})))

    try:
        for i in range(60):  # two seconds of a person, but every tenth frame comes without a pose
            sent(None if i % 10 == 5 else someone, i / FPS)
        assert kiosk.state == PRESENT and kiosk.presence.arrived_at == 0
        sent(nobody, 2.0)
        assert kiosk.presence.seen_since is None and kiosk.state == PRESENT  # gone only after kiosk_absent_s
        assert told == [PresenceChanged("present")]
    finally:
        kiosk.close()
