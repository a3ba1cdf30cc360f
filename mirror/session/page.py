"""The data channel to one person's page: the only code that touches it.

    page ──message──▶ rate limit → parse (mirror/messages.py) → CommandTyped / PingReceived / OtherChosen on the outbox
    outbox ──every PageEvent──▶ the channel (a bounded few wait while it is not open yet)

Messages come from a stranger's page, inside aiortc's SCTP receive loop: whatever one does, it is
answered (an `Error` event at worst) and nothing escapes into aiortc, which would end the data
channel while the page still shows "connected". A token bucket caps messages per session.

The first event a page gets is `Hello`, built when the channel opens from what this module has
seen go by: the newest scene and presence, so no other part is asked for anything.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mirror import messages
from mirror.events import (CommandTyped, Error, Hello, Notice, OtherChosen, Outbox, PageEvent, PingReceived,
                           PresenceChanged, SceneChanged)
from mirror.server.log_limit import limit_repeats
from mirror.server.rate_limit import TokenBucket

if TYPE_CHECKING:
    from aiortc import RTCDataChannel

    from mirror.server.metrics import Metrics
    from mirror.server.settings import Settings

log = limit_repeats(logging.getLogger(__name__))

MAX_PENDING_EVENTS = 32  # bounded: only the latest state matters to a late page
LIMIT_NOTICE_EVERY_S = 1.0  # "too many messages" is said at most this often, not once per message


@dataclass(frozen=True)
class Greeting:
    """What a page is told first, fixed for the session's life."""

    session: str
    stages: list[str]
    speech: bool
    scene: dict  # the scene it starts with
    kiosk: bool = False
    notices: tuple[str, ...] = ()  # stages that were asked for and do not run, one sentence each


class PageChannel:
    def __init__(self, greeting: Greeting, settings: "Settings", outbox: Outbox, metrics: "Metrics") -> None:
        self._greeting = greeting
        self._outbox = outbox
        self._metrics = metrics
        self._limit = TokenBucket(settings.message_rate_per_s, settings.message_burst)
        self._limit_noticed_at = float("-inf")
        self._channel: "RTCDataChannel | None" = None
        self._pending: list[str] = []
        self._scene = greeting.scene
        self._presence = "absent" if greeting.kiosk else None
        outbox.subscribe(PageEvent, self._send)
        outbox.subscribe(SceneChanged, self._remember_scene)
        outbox.subscribe(PresenceChanged, self._remember_presence)

    def attach(self, channel: "RTCDataChannel") -> None:
        self._channel = channel
        channel.on("message", self.on_message)
        channel.on("open", self._opened)
        if channel.readyState == "open":
            self._opened()

    def _opened(self) -> None:
        g = self._greeting
        self._write(Hello(g.session, g.stages, g.speech, self._scene, kiosk=g.kiosk or None,
                          presence=self._presence).to_wire())
        for notice in g.notices:
            self._write(Notice(notice).to_wire())
        pending, self._pending = self._pending, []
        for payload in pending:
            self._write(payload)

    # ---- out ----
    def _send(self, event: PageEvent) -> None:
        self._write(event.to_wire())

    def _write(self, payload: str) -> None:
        channel = self._channel
        if channel is None or channel.readyState != "open":
            if len(self._pending) < MAX_PENDING_EVENTS:
                self._pending.append(payload)
            return
        try:
            channel.send(payload)
        except Exception:  # closed between the check and the send (InvalidStateError, ConnectionError)
            log.debug("session %s: event dropped, channel gone", self._greeting.session)

    def _remember_scene(self, event: SceneChanged) -> None:
        self._scene = event.scene

    def _remember_presence(self, event: PresenceChanged) -> None:
        self._presence = event.state

    # ---- in ----
    def on_message(self, raw) -> None:
        """aiortc calls this from its receive loop: nothing may escape from here."""
        try:
            self._handle(raw)
        except Exception:
            self._metrics.message_errors.inc()
            log.exception("session %s: handling a message failed", self._greeting.session)
            self._outbox.publish(Error("the mirror could not handle that message"))

    def _handle(self, raw) -> None:
        if not self._limit.take():
            self._metrics.messages_limited.inc()
            now = time.monotonic()
            if now - self._limit_noticed_at >= LIMIT_NOTICE_EVERY_S:
                self._limit_noticed_at = now
                log.warning("session %s: messages over the limit (%.0f/s); dropping", self._greeting.session,
                            self._limit.rate)
                self._outbox.publish(Error(f"too many messages: at most {self._limit.rate:.0f} a second"))
            return
        try:
            message = messages.parse_client_message(raw)
        except messages.BadMessage as exc:
            self._metrics.bad_messages.inc()
            log.warning("session %s: bad message: %s", self._greeting.session, exc)
            self._outbox.publish(Error(str(exc)))
            return
        if isinstance(message, messages.CommandMessage):
            event = CommandTyped(message.text)
        elif isinstance(message, messages.ChooseOtherMessage):
            event = OtherChosen(message.id)
        else:
            event = PingReceived(message.t)
        if not self._outbox.publish(event):  # a part failed on it (logged there): the page is still answered
            self._metrics.message_errors.inc()
            self._outbox.publish(Error("the mirror could not handle that message"))
