"""Every session ends: the deadlines a session lives by, and the reaper that enforces them.

    offer ──connect_timeout_s──▶ connected (ICE + DTLS)     else "connect_timeout"
    connected ──media_timeout_s without a camera frame──▶   "media_timeout"
    offer ──max_session_s (0 = none)──▶                     "max_length"

aiortc ends a session on its own only when ICE consent fails (~30 s) or the peer says goodbye; a
client that answers one ICE check and vanishes stays "connecting" forever, one that stops sending
media without a goodbye lingers until consent fails. The reaper is one task for the whole server
(not one per session, so no session can lose its watchdog): every `reap_interval_s` it closes what
is overdue, and frees what a close left behind. Closing happens in the session; the reaper only
decides when.
"""
from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Mapping, Protocol

from mirror.server import allocator
from mirror.server.log_limit import limit_repeats

if TYPE_CHECKING:
    from mirror.server.settings import Settings

log = limit_repeats(logging.getLogger(__name__))

# A close that has not finished after this long is stuck (a hung thread join, a peer connection
# that will not stop): the reaper lets go of it so it no longer holds a place under the cap.
CLOSE_GRACE_S = 30.0


@dataclass
class SessionClock:
    """Monotonic times in one session's life."""

    started_at: float  # the offer was admitted
    connected_at: float | None = None  # ICE + DTLS connected
    last_media_at: float | None = None  # the last camera frame received
    closing_at: float | None = None  # close() began


@dataclass(frozen=True)
class Deadlines:
    connect_s: float
    media_s: float
    max_s: float = 0.0  # 0 = no limit

    @classmethod
    def from_settings(cls, settings: "Settings") -> "Deadlines":
        return cls(settings.connect_timeout_s, settings.media_timeout_s, settings.max_session_s)

    def overdue(self, clock: SessionClock, now: float) -> str | None:
        """Why a session must end now, or None."""
        if self.max_s and now - clock.started_at > self.max_s:
            return "max_length"
        if clock.connected_at is None:
            return "connect_timeout" if now - clock.started_at > self.connect_s else None
        last = max(clock.connected_at, clock.last_media_at or 0.0)
        return "media_timeout" if now - last > self.media_s else None


class Reapable(Protocol):
    id: str
    clock: SessionClock
    closed: asyncio.Event

    async def close(self, reason: str = ...) -> None: ...

    def abandon(self) -> None: ...


class Reaper:
    def __init__(self, sessions: Mapping[str, Reapable], deadlines: Deadlines, interval_s: float, *,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._sessions = sessions
        self._deadlines = deadlines
        self._interval_s = interval_s
        self._clock = clock
        self._closing: set[asyncio.Task] = set()
        self._freed_since_collect = False

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self._interval_s)
            try:
                self.sweep()
                if self._freed_since_collect and not self._closing:
                    self._freed_since_collect = False
                    await allocator.release_freed_memory()
            except Exception:  # the reaper must outlive any one bad session
                log.exception("reaper sweep failed; next sweep in %.1f s", self._interval_s)

    def session_gone(self) -> None:
        """A session finished closing: give its memory back at the next quiet sweep."""
        self._freed_since_collect = True

    def sweep(self) -> list[tuple[str, str]]:
        """Close every session past a deadline; let go of closes that are stuck. Returns what it did."""
        now = self._clock()
        done = []
        for session in list(self._sessions.values()):
            if session.closed.is_set():
                if session.clock.closing_at is not None and now - session.clock.closing_at > CLOSE_GRACE_S:
                    log.error("session %s: close still unfinished after %.0f s; abandoning it",
                              session.id, now - session.clock.closing_at)
                    session.abandon()
                    done.append((session.id, "abandoned"))
                continue
            reason = self._deadlines.overdue(session.clock, now)
            if reason is not None:
                log.info("session %s: %s", session.id, reason.replace("_", " "))
                task = asyncio.ensure_future(session.close(reason))
                self._closing.add(task)
                task.add_done_callback(self._closing.discard)
                done.append((session.id, reason))
        return done
