"""What one person says or types, made into what the mirror does: the owner of their scene.

    CommandTyped (page) ┐
    UtteranceHeard (speech thread, via the outbox) ┴→ world: an action, or an edit (worker thread, one at a time)
      → the new scene published to the frame path (a Snapshot every frame reads)
      → Caption, SceneChanged, DidYouMean, ActionAsked, Error events on the outbox

Render stages read the scene only as that snapshot. A kiosk heeds only the person in front of it
(`PresenceChanged` events from mirror/session/presence.py) and forgets a visitor's scene when they have
gone (`VisitorLeft`). A script flooding commands gets "busy" instead of a growing queue.

"Did you mean …?": when the recogniser was unsure between two readings that make different scenes
(world/recognition.py: a `Doubt`), the chosen one is applied and the other offered (`DidYouMean`)
for `did_you_mean_s`. The next command answers it: "yes", "the other one" or its name takes the
other, and so does a tap on the page's chip (`OtherChosen`); "no" keeps the scene; anything else is
a command of its own and the question lapses. Taking the other replaces the chosen reading's edit by
the other's, made on the scene the command was said in: one undo goes back to before the command.
"""
from __future__ import annotations

import asyncio
import dataclasses
import itertools
import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mirror.events import (ActionAsked, Caption, CommandTyped, DidYouMean, Error, Listening, OtherChosen, Outbox,
                           PresenceChanged, SceneChanged, SpeechStarted, UtteranceHeard, VisitorLeft)
from mirror.server.log_limit import limit_repeats
from mirror.tasks import Tasks
from world import Scene
from world.actions import action_for

if TYPE_CHECKING:
    from mirror.frames.slot import Snapshot
    from mirror.server.metrics import Metrics
    from mirror.server.services import Services
    from speech import Utterance
    from world.interpreter import Interpretation
    from world.recognition import Doubt

log = limit_repeats(logging.getLogger(__name__))

# Commands being interpreted or waiting their turn: one edit at a time takes ~10 ms, so a person
# never has more than this in flight; a script does, and gets "busy" instead of a growing queue.
MAX_COMMANDS_IN_FLIGHT = 3
# A spoken "yes" begun while the chip shows arrives after the end of its speech and its decode.
REPLY_GRACE_S = 2.0


@dataclass(frozen=True)
class _Asked:
    """A "did you mean …?" the page shows."""
    id: int
    doubt: "Doubt"
    version: int  # the scene version the chosen reading made: any later edit makes the question stale
    until: float  # time.monotonic() after which a reply is a command of its own


class Commands:
    def __init__(self, session: str, services: "Services", metrics: "Metrics", outbox: Outbox,
                 scene: "Snapshot[Scene]", *, kiosk: bool = False, did_you_mean_s: float = 0.0) -> None:
        """scene: where the frame path reads the person's scene; this part alone publishes to it.
        did_you_mean_s: how long an unsure spoken command's other reading is offered (0: never)."""
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
        self._did_you_mean_s = did_you_mean_s
        self._asked: _Asked | None = None
        self._ids = itertools.count(1)
        outbox.subscribe(CommandTyped, self._typed)
        outbox.subscribe(OtherChosen, lambda event: self._tasks.spawn(self._tapped(event.id)))
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
        if self._asked is not None and await self._answered(text, source, heard):
            return
        action = action_for(text)
        if action is not None:
            log.info("session %s: %r → %s", self._session, text, action)
            self._outbox.publish(ActionAsked(action))
            return
        doubt = asked = None
        # Interpretation may run the embedding model (~10 ms): off the loop, one edit at a time.
        async with self._edit_lock:
            self._asked = None  # a command of its own: the question lapses
            recogniser = self._services.recogniser
            if heard is not None and heard.alternatives and recogniser is not None:
                # Spoken: whisper's readings, chosen among by what the mirror can do in this scene.
                choice = await asyncio.to_thread(recogniser.choose, self.scene,
                                                 [(h.text, h.score) for h in heard.alternatives],
                                                 [(h.text, h.score) for h in heard.reasked])
                result, doubt = choice.understood, choice.doubt
            else:
                result = await asyncio.to_thread(self._services.interpreter.apply, self.scene, text)
            if result.changed:
                self._set_scene(result.scene)
                self._metrics.scene_edits.inc()
            if doubt is not None and result.changed and self._did_you_mean_s > 0:
                asked = self._asked = _Asked(next(self._ids), doubt, self.scene.version,
                                             time.monotonic() + self._did_you_mean_s + REPLY_GRACE_S)
        log.info("session %s: %r → %s", self._session, text, result.explain)
        self._outbox.publish(SceneChanged(source=source, timings=self._timings(heard), **result.to_event()))
        if asked is not None:
            log.info("session %s: unsure; offering %r (%.2f behind)", self._session, asked.doubt.name,
                     asked.doubt.margin)
            self._outbox.publish(DidYouMean(asked.id, asked.doubt.name, self._did_you_mean_s))

    # ---- "did you mean …?" ----
    async def _answered(self, text: str, source: str, heard: "Utterance | None") -> bool:
        """Whether `text` answered the question the page shows (and was acted on)."""
        async with self._edit_lock:
            asked, self._asked = self._asked, None
            if asked is None or time.monotonic() > asked.until or asked.version != self.scene.version:
                return False
            answer = asked.doubt.answer(text)
            if answer is None:
                self._asked = asked  # another command: the question lapses when that is applied
                return False
            if answer == "yes":
                self._take(asked.doubt.interpretation)
        if answer == "no":
            log.info("session %s: %r: the scene stays as it is", self._session, text)
        else:
            self._publish_taken(asked.doubt.interpretation, source, heard)
        return True

    async def _tapped(self, asked_id: int) -> None:
        async with self._edit_lock:
            asked = self._asked
            if asked is None or asked.id != asked_id or asked.version != self.scene.version:
                log.info("session %s: a tap on a question no longer asked", self._session)
                return
            self._asked = None
            self._take(asked.doubt.interpretation)
        self._publish_taken(asked.doubt.interpretation, "typed", None)

    def _take(self, other: "Interpretation") -> None:
        """The other reading's scene in place of the chosen one's: made on the scene the command was
        said in, so its history ends in that scene and one undo goes back there."""
        self._set_scene(dataclasses.replace(other.scene, version=self.scene.version + 1))
        self._metrics.scene_edits.inc()

    def _publish_taken(self, other: "Interpretation", source: str, heard: "Utterance | None") -> None:
        log.info("session %s: took the other reading %r → %s", self._session, other.utterance, other.explain)
        event = {**other.to_event(), "scene": self.scene.to_dict(history=False)}
        self._outbox.publish(SceneChanged(source=source, timings=self._timings(heard), **event))

    @staticmethod
    def _timings(heard: "Utterance | None") -> dict | None:
        if heard is None or heard.speech_end_at is None:
            return None
        # End of speech → the edited scene leaves for the page: the delay a person feels; and of
        # it, end of speech → whisper's readings (what a decode started in the pause did not hide),
        # and whisper's own time on the utterance, and of that its encoder's.
        timings = {"speech_end_to_edit_ms": round((time.monotonic() - heard.speech_end_at) * 1000, 1),
                   "whisper_ms": round(heard.transcribe_ms, 1), "whisper_encode_ms": round(heard.encode_ms, 1)}
        if (text_ms := heard.latency_ms) is not None:
            timings["speech_end_to_text_ms"] = round(text_ms, 1)
        return timings

    async def _reset(self) -> None:
        """The next visitor starts from an empty scene, with no stranger's history to undo into."""
        async with self._edit_lock:
            self._asked = None
            self._set_scene(Scene(version=self.scene.version + 1))
        self._outbox.publish(SceneChanged(source="reset", utterance="", changed=True, changes=["reset"],
                                          explain="a fresh scene", scene=self.scene.to_dict(history=False)))

    def _set_scene(self, scene: Scene) -> None:
        self.scene = scene
        self._snapshot.publish(scene)
