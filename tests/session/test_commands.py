"""A person's commands (mirror/session/commands.py): "did you mean …?" after an unsure spoken
command, answered aloud, typed, or by a tap on the page's chip (through the page's data channel).

Whisper's readings are typed here (as the recogniser's tests do): what is checked is what the
mirror does with them, never what whisper hears.
"""
from __future__ import annotations

import asyncio
import json

import pytest

from mirror.events import DidYouMean, Outbox, PageEvent, SceneChanged, UtteranceHeard
from mirror.frames.slot import Snapshot
from mirror.server.metrics import Metrics
from mirror.server.services import Services
from mirror.server.settings import Settings
from mirror.session.commands import Commands
from mirror.session.page import Greeting, PageChannel
from speech import Hypothesis, Utterance
from tests.open_channel import OpenChannel
from world import Catalog, Interpreter, Scene
from world.recognition import Recogniser

UNSURE = [("Make it look like anime.", -0.40), ("Make me look like a Monet.", -0.45)]  # close, other scenes
UNSURE_PLACE = [("Take me to Hawaii.", -0.50), ("Take me to Mordor.", -0.56)]  # the beach or the volcano
SURE = [("Make it look like anime.", -0.40), ("Make it look like manga.", -0.42)]  # both: the anime style


@pytest.fixture(scope="module")
def services():
    interpreter = Interpreter(Catalog.load())
    # Commands uses the interpreter and the recogniser only: no whisper, stages or clips here.
    return Services(interpreter.catalog, interpreter, None, Recogniser(interpreter), plan=None, shared_stages=None,
                    clips=None)


class Person:
    """One person's commands and page, wired by the session's outbox as mirror/session/session.py does."""

    def __init__(self, services, did_you_mean_s: float = 6.0) -> None:
        self.outbox = Outbox(asyncio.get_running_loop(), "test")
        self.snapshot = Snapshot(Scene.empty())
        self.commands = Commands("test", services, Metrics(), self.outbox, self.snapshot,
                                 did_you_mean_s=did_you_mean_s)
        self.page = PageChannel(Greeting("test", [], True, {}), Settings.load(environ={}), self.outbox, Metrics())
        self.channel = OpenChannel()
        self.page.attach(self.channel)
        self.events: list[PageEvent] = []
        self.outbox.subscribe(PageEvent, self.events.append)

    async def say(self, readings: list[tuple[str, float]]) -> None:
        """Whisper heard these readings (best first): the utterance goes the live path's way."""
        self.outbox.publish(UtteranceHeard(Utterance(readings[0][0], 0.0, 1.0, None, None, 100.0,
                                                     tuple(Hypothesis(t, s) for t, s in readings))))
        await self.settled()

    async def type(self, text: str) -> None:
        self.page.on_message(json.dumps({"v": 1, "type": "command", "text": text}))
        await self.settled()

    async def tap(self, asked_id: int) -> None:
        self.page.on_message(json.dumps({"v": 1, "type": "choose_other", "id": asked_id}))
        await self.settled()

    async def settled(self) -> None:
        """Until the commands in flight are done (each runs in a worker thread, one at a time)."""
        for _ in range(200):
            await asyncio.sleep(0.01)
            if not self.commands._tasks._running:  # noqa: SLF001
                return
        raise AssertionError("commands still running after 2 s")

    def asked(self) -> list[DidYouMean]:
        return [e for e in self.events if isinstance(e, DidYouMean)]

    @property
    def scene(self) -> Scene:
        return self.snapshot.value


async def test_an_unsure_spoken_name_is_applied_and_the_other_offered(services):
    person = Person(services)
    await person.say(UNSURE)
    assert person.scene.style == "anime"  # the best reading is applied at once
    (asked,) = person.asked()
    assert asked.other == "Monet" and asked.seconds == 6.0
    assert person.channel.sent[-1] == {"v": 1, "type": "did_you_mean", "id": asked.id, "other": "Monet",
                                       "seconds": 6.0}


async def test_readings_that_agree_ask_nothing(services):
    person = Person(services)
    await person.say(SURE)
    await person.type("give me a sword")
    assert person.scene.style == "anime" and person.asked() == []


async def test_nothing_is_asked_when_the_setting_is_off(services):
    person = Person(services, did_you_mean_s=0)
    await person.say(UNSURE)
    assert person.scene.style == "anime" and person.asked() == []


@pytest.mark.parametrize("reply", [[("Yes.", -0.2)], [("The other one.", -0.3)], [("Monet.", -0.4)]])
async def test_yes_takes_the_other_reading_as_one_undoable_edit(services, reply):
    person = Person(services)
    await person.type("give me a sword")
    before = person.scene
    await person.say(UNSURE)
    await person.say(reply)
    assert person.scene.style == "impressionist" and [p.kind for p in person.scene.props] == ["sword"]
    last = person.events[-1]
    assert isinstance(last, SceneChanged) and last.source == "voice" and last.scene["style"] == "impressionist"
    await person.type("undo")  # one undo: back to before the command, never to the reading not meant
    assert person.scene.state == before.state
    await person.type("redo")
    assert person.scene.style == "impressionist"


async def test_a_tap_on_the_chip_takes_the_other_reading_through_the_pages_message(services):
    person = Person(services)
    await person.type("give me a sword")
    before = person.scene
    await person.say(UNSURE)
    (asked,) = person.asked()
    await person.tap(asked.id)
    assert person.scene.style == "impressionist"
    assert person.channel.sent[-1]["type"] == "scene" and person.channel.sent[-1]["scene"]["style"] == "impressionist"
    await person.type("undo")
    assert person.scene.state == before.state
    await person.tap(asked.id)  # answered already: a second tap does nothing
    assert person.scene.state == before.state


async def test_no_keeps_the_scene_and_another_command_lets_the_question_lapse(services):
    person = Person(services)
    await person.say(UNSURE)
    await person.say([("No.", -0.2)])
    assert person.scene.style == "anime"  # "no" answers the question; it is not "no" the correction
    await person.say(UNSURE_PLACE)
    (_, asked) = person.asked()
    assert asked.other == "Mordor" and person.scene.theme == "beach"
    await person.type("give me a crown")
    await person.say([("Yes.", -0.2)])  # the question lapsed with the crown: "yes" is no command
    await person.tap(asked.id)  # nor is a tap on the chip it left behind
    assert (person.scene.style, person.scene.theme) == ("anime", "beach")
    assert [p.kind for p in person.scene.props] == ["crown"]


async def test_a_tap_message_is_validated_like_the_others(services):
    person = Person(services)
    person.page.on_message(json.dumps({"v": 1, "type": "choose_other", "id": "1"}))
    person.page.on_message(json.dumps({"v": 1, "type": "choose_other", "id": -1}))
    assert [m["type"] for m in person.channel.sent[-2:]] == ["error", "error"]


async def test_a_live_utterances_scene_event_carries_its_delay_and_whisper_part(services):
    import time

    person = Person(services)
    end = time.monotonic() - 0.25  # speech ended 250 ms ago; whisper's readings came 200 ms after it
    person.outbox.publish(UtteranceHeard(Utterance("Give me a sword.", 0.0, 1.0, end, end + 0.2, 310.0,
                                                   (Hypothesis("Give me a sword.", -0.2),), encode_ms=120.0)))
    await person.settled()
    (changed,) = [e for e in person.events if isinstance(e, SceneChanged)]
    assert changed.timings["speech_end_to_edit_ms"] >= 250
    assert changed.timings["speech_end_to_text_ms"] == 200.0 and changed.timings["whisper_ms"] == 310.0
    assert changed.timings["whisper_encode_ms"] == 120.0
    await person.type("give me a crown")  # typed: no speech, no delay to tell
    assert [e for e in person.events if isinstance(e, SceneChanged)][-1].timings is None
