"""Is someone in front of the mirror? For a kiosk, from the pose of the frames the mirror sends.

    pose found for PRESENT_AFTER_S      → "present"  (the page drops its attract screen; commands count)
    no pose for Settings.kiosk_reset_s  → "reset"    (the visitor's scene is forgotten)
    no pose for Settings.kiosk_absent_s → "absent"   (the page shows its attract screen; commands ignored)

`Presence` is the state machine alone (plain values in, changes out), so its timing is tested
without a camera. `KioskPresence` is one session's use of it: fed by the frames the output track
sends (`FrameSent`), ticked by a timer (a camera that stops sending frames is nobody in front,
too), publishing each change as an event.
"""
from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from mirror.events import FrameSent, Outbox, PresenceChanged, VisitorLeft

if TYPE_CHECKING:
    from mirror.server.metrics import Metrics
    from mirror.server.settings import Settings

log = logging.getLogger(__name__)

PRESENT = "present"
ABSENT = "absent"
RESET = "reset"

# Half a second of pose before someone counts as present: a passer-by crossing the frame or a
# one-frame false detection on the empty hall does not wake the mirror.
PRESENT_AFTER_S = 0.5
# How often absence is checked when no frame arrives (the camera stalled or was unplugged).
TICK_S = 0.2


@dataclass
class Presence:
    absent_after_s: float
    reset_after_s: float
    present_after_s: float = PRESENT_AFTER_S
    present: bool = False  # nobody is in front until someone has been seen
    last_seen: float | None = None  # when a pose was last found (time.monotonic())
    seen_since: float | None = None  # start of the current unbroken run of found poses
    arrived_at: float | None = None  # start of the run that made the person present
    _reset_due: bool = False  # someone was here since the last reset: their scene goes when they do

    def observe(self, found: bool, now: float) -> list[str]:
        """One frame's pose: found or not, at `now`. Returns the changes, in order."""
        changes: list[str] = []
        if found:
            self.last_seen = now
            if self.seen_since is None:
                self.seen_since = now
            if not self.present and now - self.seen_since >= self.present_after_s:
                self.present = True
                self.arrived_at = self.seen_since
                self._reset_due = True
                changes.append(PRESENT)
        else:
            self.seen_since = None
        return changes + self.tick(now)

    def tick(self, now: float) -> list[str]:
        """Time passing without a frame. Returns the changes, in order."""
        changes: list[str] = []
        gone_for = None if self.last_seen is None else now - self.last_seen
        if gone_for is None:
            return changes
        if self._reset_due and gone_for >= self.reset_after_s:
            self._reset_due = False
            changes.append(RESET)
        if self.present and gone_for >= self.absent_after_s:
            self.present = False
            changes.append(ABSENT)
        return changes


class KioskPresence:
    """One kiosk session's presence: from the frames it sends (and a timer, for a camera that stops),
    it publishes `Presence` (the page's attract screen; commands heed only the person in front) and
    `VisitorLeft` (their scene is forgotten)."""

    def __init__(self, session: str, settings: "Settings", outbox: Outbox, metrics: "Metrics", *,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.presence = Presence(settings.kiosk_absent_s, settings.kiosk_reset_s)
        self._session = session
        self._outbox = outbox
        self._metrics = metrics
        self._clock = clock
        outbox.subscribe(FrameSent, self._frame_sent)
        self._ticking = asyncio.ensure_future(self._tick())

    @property
    def state(self) -> str:
        return PRESENT if self.presence.present else ABSENT

    def close(self) -> None:
        self._ticking.cancel()

    def _frame_sent(self, event: FrameSent) -> None:
        """A frame the mirror sent, with the pose it was drawn with. No pose (the first frames, or
        the frame size just changed) says nothing about who is there: only time passes."""
        frame = event.frame
        at = frame.timings["sent_at"]
        self._act(self.presence.tick(at) if frame.pose is None else self.presence.observe(frame.pose.found, at))

    async def _tick(self) -> None:
        """While the session lives, so absence is noticed when frames stop coming."""
        while True:
            await asyncio.sleep(TICK_S)
            self._act(self.presence.tick(self._clock()))

    def _act(self, changes: list[str]) -> None:
        for change in changes:
            self._metrics.presence_changes.labels(change).inc()
            log.info("session %s: %s", self._session, change)
            self._outbox.publish(VisitorLeft() if change == RESET else PresenceChanged(change))
