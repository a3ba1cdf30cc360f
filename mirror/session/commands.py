"""What one person says or types, made into what the mirror does: the owner of their scene.

    CommandTyped (page) ┐
    UtteranceHeard (speech thread, via the outbox) ┴→ world: an action, or an edit (worker thread, one at a time)
      → the new scene published to the frame path (a Snapshot every frame reads)
      → Caption, SceneChanged, ActionAsked, Error events on the outbox

Render stages read the scene only as that snapshot. A kiosk heeds only the person in front of it
(`PresenceChanged` events from mirror/session/presence.py) and forgets a visitor's scene when they have
gone (`VisitorLeft`). A script flooding commands gets "busy" instead of a growing queue.
"""
from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING

from mirror.events import (ActionAsked, Caption, CommandTyped, Error, Listening, Outbox, PresenceChanged, SceneChanged,
                           SpeechStarted, UtteranceHeard, VisitorLeft)
from mirror.server.log_limit import limit_repeats
from mirror.tasks import Tasks
from world import Scene
from world.actions import action_for

if TYPE_CHECKING:
    from mirror.frames.slot import Snapshot
    from mirror.server.metrics import Metrics
    from mirror.server.services import Services
    from speech import Utterance

log = limit_repeats(logging.getLogger(__name__))

# Commands being interpreted or waiting their turn: one edit at a time takes ~10 ms, so a person
# never has more than this in flight; a script does, and gets "busy" instead of a growing queue.
MAX_COMMANDS_IN_FLIGHT = 3


class Commands:
    def __init__(self, session: str, services: "Services", metrics: "Metrics", outbox: Outbox,
                 scene: "Snapshot[Scene]", *, kiosk: bool = False) -> None:
        """scene: where the frame path reads the person's scene; this part alone publishes to it."""
        self._session = session
        self._services = services
        self._metrics = metrics
        self._outbox = outbox
        self._snapshot = scene
        self.scene: Scene = scene.value
        self._edit_lock = asyncio.Lock()
        self._tasks = Tasks(f"session {session}: commands")
        self._commands_in_flight = 0
        self._heeding = not kiosk  # a kiosk listens once someone is in front
        outbox.subscribe(CommandTyped, self._typed)
        outbox.subscribe(UtteranceHeard, self._heard)
        outbox.subscribe(SpeechStarted, self._speech_started)
        outbox.subscribe(PresenceChanged, self._presence)
        outbox.subscribe(VisitorLeft, lambda event: self._tasks.spawn(self._reset()))

    def close(self) -> None:
        self._tasks.cancel()

    # ---- what comes in ----
    def _typed(self, event: CommandTyped) -> None:
        if not self._heeded("typed"):
            return
        if self._commands_in_flight >= MAX_COMMANDS_IN_FLIGHT:
            self._outbox.publish(Error("busy with your last commands; try again in a moment"))
            return
        self._outbox.publish(Caption(event.text, source="typed"))
        self._commands_in_flight += 1
        self._tasks.spawn(self._apply_typed(event.text))

    async def _apply_typed(self, text: str) -> None:
        try:
            await self.apply(text, source="typed")
        except Exception:
            self._metrics.message_errors.inc()
            log.exception("session %s: command %r failed", self._session, text[:80])
            self._outbox.publish(Error("the mirror could not apply that command"))
        finally:
            self._commands_in_flight -= 1

    def _speech_started(self, event: SpeechStarted) -> None:
        if self._heeding:
            self._outbox.publish(Listening())

    def _heard(self, event: UtteranceHeard) -> None:
        self._metrics.utterances.inc()
        if not self._heeded("voice"):
            return
        utterance = event.utterance
        timings = {"transcribe_ms": round(utterance.transcribe_ms, 1)}
        if utterance.speech_end_at is not None:
            latency = time.monotonic() - utterance.speech_end_at
            self._metrics.utterance_latency.observe(latency)
            timings["speech_end_to_text_ms"] = round(latency * 1000, 1)
        self._outbox.publish(Caption(utterance.text, source="voice", timings=timings))
        self._tasks.spawn(self.apply(utterance.text, source="voice", heard=utterance))

    def _presence(self, event: PresenceChanged) -> None:
        self._heeding = event.state == "present"

    def _heeded(self, source: str) -> bool:
        if self._heeding:
            return True
        self._metrics.commands_ignored.labels(source).inc()
        log.info("session %s: %s command ignored: nobody in front of the kiosk", self._session, source)
        return False

    # ---- the edit ----
    async def apply(self, text: str, source: str, heard: "Utterance | None" = None) -> None:
        action = action_for(text)
        if action is not None:
            log.info("session %s: %r → %s", self._session, text, action)
            self._outbox.publish(ActionAsked(action))
            return
        # Interpretation may run the embedding model (~10 ms): off the loop, one edit at a time.
        async with self._edit_lock:
            recogniser = self._services.recogniser
            if heard is not None and heard.alternatives and recogniser is not None:
                # Spoken: whisper's readings, chosen among by what the mirror can do in this scene.
                result = await asyncio.to_thread(recogniser.understand, self.scene,
                                                 [(h.text, h.score) for h in heard.alternatives],
                                                 [(h.text, h.score) for h in heard.reasked])
            else:
                result = await asyncio.to_thread(self._services.interpreter.apply, self.scene, text)
            if result.changed:
                self._set_scene(result.scene)
                self._metrics.scene_edits.inc()
        log.info("session %s: %r → %s", self._session, text, result.explain)
        timings = None
        if heard is not None and heard.speech_end_at is not None:
            # End of speech → the edited scene leaves for the page: the delay a person feels.
            timings = {"speech_end_to_edit_ms": round((time.monotonic() - heard.speech_end_at) * 1000, 1)}
        self._outbox.publish(SceneChanged(source=source, timings=timings, **result.to_event()))

    async def _reset(self) -> None:
        """The next visitor starts from an empty scene, with no stranger's history to undo into."""
        async with self._edit_lock:
            self._set_scene(Scene(version=self.scene.version + 1))
        self._outbox.publish(SceneChanged(source="reset", utterance="", changed=True, changes=["reset"],
                                          explain="a fresh scene", scene=self.scene.to_dict(history=False)))

    def _set_scene(self, scene: Scene) -> None:
        self.scene = scene
        self._snapshot.publish(scene)
