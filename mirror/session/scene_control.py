"""The utterance path of one session: page messages and utterances → world edits → events.

    typed command (data channel) ┐
    utterance (speech thread)    ┴→ interpreter (worker thread, one edit at a time) → new scene
                                   → "scene" event (+ captions, "listening", notices) → page

The controller owns the session's scene; render stages read it as an immutable snapshot (`scene`).
Events sent before the page's data channel is open wait in a small bounded list.

Messages come from a stranger's page, inside aiortc's SCTP receive loop: whatever one does, it is
answered (an "error" event at worst) and nothing escapes into aiortc, which would end the data
channel while the page still shows "connected". A token bucket caps messages per session, and at
most a few commands wait for the interpreter, so a flood costs neither the video nor the log.
"""
from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING, Callable

from mirror import messages
from mirror.server.log_limit import limit_repeats
from mirror.server.rate_limit import TokenBucket
from world import Scene
from world.actions import action_for

if TYPE_CHECKING:
    from aiortc import RTCDataChannel

    from mirror.server.metrics import Metrics
    from mirror.server.services import Services
    from speech import Utterance

log = limit_repeats(logging.getLogger(__name__))

MAX_PENDING_EVENTS = 32  # bounded: only the latest state matters to a late page
# Commands being interpreted or waiting their turn: one edit at a time takes ~10 ms, so a person
# never has more than this in flight; a script does, and gets "busy" instead of a growing queue.
MAX_COMMANDS_IN_FLIGHT = 3
LIMIT_NOTICE_EVERY_S = 1.0  # "too many messages" is said at most this often, not once per message


class SceneController:
    def __init__(self, session: str, services: "Services", metrics: "Metrics", *,
                 spawn: Callable, hello: Callable[[], dict], stats: Callable[[], dict],
                 on_action: Callable[[str], None] = lambda action: None,
                 message_limit: TokenBucket | None = None) -> None:
        self.session = session
        self.scene: Scene = Scene.empty()
        self._services = services
        self._metrics = metrics
        self._spawn = spawn  # runs a coroutine as one of the session's tasks
        self._hello = hello  # the fields of the first event a page gets
        self._stats = stats
        self._on_action = on_action  # "record_start", "record_stop": things to do, not scene edits
        self._loop = asyncio.get_running_loop()
        self._edit_lock = asyncio.Lock()
        self._channel: "RTCDataChannel | None" = None
        self._pending: list[str] = []
        self._limit = message_limit
        self._limit_noticed_at = float("-inf")
        self._commands_in_flight = 0
        # A kiosk heeds only the person in front of it (mirror/presence.py); elsewhere, everyone.
        self.accepts_commands: Callable[[], bool] = lambda: True

    # ---- the data channel ----
    def attach(self, channel: "RTCDataChannel") -> None:
        self._channel = channel
        channel.on("message", self.on_message)
        channel.on("open", self._flush_pending)
        if channel.readyState == "open":
            self._flush_pending()

    def _flush_pending(self) -> None:
        self.send(messages.event("hello", **self._hello()))
        for notice in self._services.plan.notices:
            self.send(messages.event("notice", text=notice))
        pending, self._pending = self._pending, []
        for payload in pending:
            self.send(payload)

    def send_from_thread(self, payload: str) -> None:
        """`send`, from a thread other than the event loop's (a frame-path worker)."""
        self._loop.call_soon_threadsafe(self.send, payload)

    def send(self, payload: str) -> None:
        channel = self._channel
        if channel is None or channel.readyState != "open":
            if len(self._pending) < MAX_PENDING_EVENTS:
                self._pending.append(payload)
            return
        try:
            channel.send(payload)
        except Exception:  # closed between the check and the send (InvalidStateError, ConnectionError)
            log.debug("session %s: event dropped, channel gone", self.session)

    def on_message(self, raw) -> None:
        """aiortc calls this from its receive loop: nothing may escape from here."""
        try:
            self._handle(raw)
        except Exception:
            self._metrics.message_errors.inc()
            log.exception("session %s: handling a message failed", self.session)
            self.send(messages.event("error", text="the mirror could not handle that message"))

    def _handle(self, raw) -> None:
        if self._limit is not None and not self._limit.take():
            self._metrics.messages_limited.inc()
            now = time.monotonic()
            if now - self._limit_noticed_at >= LIMIT_NOTICE_EVERY_S:
                self._limit_noticed_at = now
                log.warning("session %s: messages over the limit (%.0f/s); dropping", self.session, self._limit.rate)
                self.send(messages.event("error", text=f"too many messages: at most {self._limit.rate:.0f} a second"))
            return
        try:
            message = messages.parse_client_message(raw)
        except messages.BadMessage as exc:
            self._metrics.bad_messages.inc()
            log.warning("session %s: bad message: %s", self.session, exc)
            self.send(messages.event("error", text=str(exc)))
            return
        if isinstance(message, messages.CommandMessage):
            if not self._heeded("typed"):
                return
            if self._commands_in_flight >= MAX_COMMANDS_IN_FLIGHT:
                self.send(messages.event("error", text="busy with your last commands; try again in a moment"))
                return
            self.send(messages.event("caption", text=message.text, source="typed", timings={}))
            self._commands_in_flight += 1
            self._spawn(self._typed(message.text))
        elif isinstance(message, messages.PingMessage):
            self.send(messages.event("pong", t=message.t, stats=self._stats()))

    async def _typed(self, text: str) -> None:
        try:
            await self.apply_command(text, source="typed")
        except Exception:
            self._metrics.message_errors.inc()
            log.exception("session %s: command %r failed", self.session, text[:80])
            self.send(messages.event("error", text="the mirror could not apply that command"))
        finally:
            self._commands_in_flight -= 1

    # ---- utterances (called on the speech worker thread) ----
    def on_speech_start(self) -> None:
        """Someone started talking: the page shows that it listens."""
        if self.accepts_commands():
            self.send_from_thread(messages.event("listening"))

    def on_utterance(self, utterance: "Utterance") -> None:
        self._loop.call_soon_threadsafe(lambda: self._spawn(self._utterance(utterance)))

    async def _utterance(self, utterance: "Utterance") -> None:
        self._metrics.utterances.inc()
        if not self._heeded("voice"):
            return
        timings = {"transcribe_ms": round(utterance.transcribe_ms, 1)}
        if utterance.speech_end_at is not None:
            latency = time.monotonic() - utterance.speech_end_at
            self._metrics.utterance_latency.observe(latency)
            timings["speech_end_to_text_ms"] = round(latency * 1000, 1)
        self.send(messages.event("caption", text=utterance.text, source="voice", timings=timings))
        await self.apply_command(utterance.text, source="voice", heard=utterance)

    def _heeded(self, source: str) -> bool:
        if self.accepts_commands():
            return True
        self._metrics.commands_ignored.labels(source).inc()
        log.info("session %s: %s command ignored: nobody in front of the kiosk", self.session, source)
        return False

    async def reset(self) -> None:
        """The next visitor starts from an empty scene, with no stranger's history to undo into."""
        async with self._edit_lock:
            self.scene = Scene(version=self.scene.version + 1)
        self.send(messages.event("scene", source="reset", utterance="", changed=True, changes=["reset"],
                                 explain="a fresh scene", scene=self.scene.to_dict(history=False)))

    # ---- the edit ----
    async def apply_command(self, text: str, source: str, heard: "Utterance | None" = None) -> None:
        action = action_for(text)
        if action is not None:
            log.info("session %s: %r → %s", self.session, text, action)
            self._on_action(action)
            return
        # Interpretation may run the embedding model (~10 ms): off the loop, one edit at a time.
        async with self._edit_lock:
            recogniser = self._services.recogniser
            if heard is not None and heard.alternatives and recogniser is not None:
                # Spoken: whisper's readings, chosen among by what the mirror can do in this scene.
                alternatives = [(h.text, h.score) for h in heard.alternatives]
                redecode = heard.redecode and (lambda prompt: [(h.text, h.score) for h in heard.redecode(prompt)])
                result = await asyncio.to_thread(recogniser.understand, self.scene, alternatives, redecode)
            else:
                result = await asyncio.to_thread(self._services.interpreter.apply, self.scene, text)
            if result.changed:
                self.scene = result.scene
                self._metrics.scene_edits.inc()
        log.info("session %s: %r → %s", self.session, text, result.explain)
        event = result.to_event()
        if heard is not None and heard.speech_end_at is not None:
            # End of speech → the edited scene leaves for the page: the delay a person feels.
            event["timings"] = {"speech_end_to_edit_ms": round((time.monotonic() - heard.speech_end_at) * 1000, 1)}
        self.send(messages.event("scene", source=source, **event))
