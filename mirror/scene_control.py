"""The utterance path of one session: page messages and utterances → world edits → events.

    typed command (data channel) ┐
    utterance (speech thread)    ┴→ interpreter (worker thread, one edit at a time) → new scene
                                   → "scene" event (+ captions, "listening", notices) → page

The controller owns the session's scene; render stages read it as an immutable snapshot (`scene`).
Events sent before the page's data channel is open wait in a small bounded list.
"""
from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING, Callable

from mirror import messages
from world import Scene
from world.actions import action_for

if TYPE_CHECKING:
    from aiortc import RTCDataChannel

    from mirror.metrics import Metrics
    from mirror.services import Services
    from speech import Utterance

log = logging.getLogger(__name__)

MAX_PENDING_EVENTS = 32  # bounded: only the latest state matters to a late page


class SceneController:
    def __init__(self, session: str, services: "Services", metrics: "Metrics", *,
                 spawn: Callable, hello: Callable[[], dict], stats: Callable[[], dict],
                 on_action: Callable[[str], None] = lambda action: None) -> None:
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

    def send(self, payload: str) -> None:
        channel = self._channel
        if channel is None or channel.readyState != "open":
            if len(self._pending) < MAX_PENDING_EVENTS:
                self._pending.append(payload)
            return
        channel.send(payload)

    def on_message(self, raw) -> None:
        try:
            message = messages.parse_client_message(raw)
        except messages.BadMessage as exc:
            self._metrics.bad_messages.inc()
            log.warning("session %s: bad message: %s", self.session, exc)
            self.send(messages.event("error", text=str(exc)))
            return
        if isinstance(message, messages.CommandMessage):
            self.send(messages.event("caption", text=message.text, source="typed", timings={}))
            self._spawn(self.apply_command(message.text, source="typed"))
        elif isinstance(message, messages.PingMessage):
            self.send(messages.event("pong", t=message.t, stats=self._stats()))

    # ---- utterances (called on the speech worker thread) ----
    def on_speech_start(self) -> None:
        """Someone started talking: the page shows that it listens."""
        self._loop.call_soon_threadsafe(self.send, messages.event("listening"))

    def on_utterance(self, utterance: "Utterance") -> None:
        self._loop.call_soon_threadsafe(lambda: self._spawn(self._utterance(utterance)))

    async def _utterance(self, utterance: "Utterance") -> None:
        self._metrics.utterances.inc()
        timings = {"transcribe_ms": round(utterance.transcribe_ms, 1)}
        if utterance.speech_end_at is not None:
            latency = time.monotonic() - utterance.speech_end_at
            self._metrics.utterance_latency.observe(latency)
            timings["speech_end_to_text_ms"] = round(latency * 1000, 1)
        self.send(messages.event("caption", text=utterance.text, source="voice", timings=timings))
        await self.apply_command(utterance.text, source="voice")

    # ---- the edit ----
    async def apply_command(self, text: str, source: str) -> None:
        action = action_for(text)
        if action is not None:
            log.info("session %s: %r → %s", self.session, text, action)
            self._on_action(action)
            return
        # Interpretation may run the embedding model (~10 ms): off the loop, one edit at a time.
        async with self._edit_lock:
            result = await asyncio.to_thread(self._services.interpreter.apply, self.scene, text)
            if result.changed:
                self.scene = result.scene
                self._metrics.scene_edits.inc()
        log.info("session %s: %r → %s", self.session, text, result.explain)
        self.send(messages.event("scene", source=source, **result.to_event()))
