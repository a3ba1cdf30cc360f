"""The recogniser: whisper's readings (typed here, as tiny.en wrote them on the spoken tuning set)
and the scene → what was meant. Sounds first, then readings, then what must never happen."""
from __future__ import annotations

import pytest

from world import Catalog, Scene
from world.interpreter import Interpreter
from world.phonetics import Sounds, spell
from world.recognition import DOUBT_MARGIN, Recogniser, short_prompt

SOUND_ALIKES = [
    # (heard, meant): close enough to be taken for each other
    ("glimmed", "klimt"),
    ("the camera a lot", "the camelot"),
    ("transyl may near", "transylvania"),
    ("candy war out", "andy warhol"),
    ("and do", "undo"),
]
NOT_ALIKE = [("breathe", "green"), ("sam", "snow"), ("pasta", "castle"), ("mega", "degas")]


@pytest.mark.parametrize("heard, meant", SOUND_ALIKES)
def test_sound_alikes_are_near(heard, meant):
    assert Sounds([meant]).similarities(spell(heard))[0] >= 0.75


@pytest.mark.parametrize("heard, other", NOT_ALIKE)
def test_different_words_are_far(heard, other):
    assert Sounds([other]).similarities(spell(heard))[0] < 0.7


def test_spelling_merges_what_noise_and_accents_blur():
    assert spell("Degas") == spell("tegaz")  # voicing
    assert spell("photo") == spell("foto")  # digraphs
    assert spell("wizard") != spell("lizard")


@pytest.fixture(scope="module")
def recogniser():
    return Recogniser(Interpreter(Catalog.load()))


def say(recogniser, *typed: str) -> Scene:
    scene = Scene.empty()
    for text in typed:
        scene = recogniser.interpreter.apply(scene, text).scene
    return scene


def summary(scene: Scene) -> tuple[list[str], str | None, str | None]:
    return [" ".join(w for w in (p.color, p.kind) if w) for p in scene.props], scene.theme, scene.style


READINGS = [
    # (typed before, whisper's readings, the scene after: props, theme, style)
    ([], [("Take me to the racket.", -0.32), ("Take me to the racking.", -0.66)], [], "desert", None),  # Arrakis
    ([], [("Put me in the camera a lot.", -0.55)], [], "game_of_thrones", None),  # Camelot
    ([], [("Put me in Transyl may near.", -0.68)], [], "haunted_house", None),
    ([], [("Make me look like glint.", -0.4), ("Make me look like Glimmed.", -0.5)], [], None, "mosaic"),  # Klimt
    ([], [("Take me to Lappland.", -0.3)], [], "snowy_forest", None),
    # a lower reading that does something in this scene beats one that does nothing
    (["give me a helmet"], [("Take my hand it off.", -0.49), ("Take the helmet off.", -0.57)], [], None, None),
    (["give me a shield"], [("Breathe.", -0.26), ("Green.", -0.6)], ["green shield"], None, None),
    # alone, a sound-alike of a short command is that command
    (["give me a crown"], [("And do.", -1.0)], [], None, None),
    # whisper's stock mishearing of "undo", and the real "Undo" only as its second, weaker guess
    (["give me a sword", "paint me like rembrandt"], [("I do.", -0.54), ("And do.", -1.28), ("Redo.", -1.18)],
     ["sword"], None, None),
    (["give me a sword", "paint me like rembrandt"], [("I do.", -0.55), ("Undo.", -1.0)], ["sword"], None, None),
]


@pytest.mark.parametrize("before, alternatives, props, theme, style", READINGS)
def test_the_reading_that_makes_sense_is_understood(recogniser, before, alternatives, props, theme, style):
    result = recogniser.understand(say(recogniser, *before), alternatives)
    assert summary(result.scene) == (props, theme, style)


def test_the_event_says_what_was_heard_and_what_was_understood(recogniser):
    event = recogniser.understand(Scene.empty(), [("Take me to the racket.", -0.32)]).to_event()
    assert event["heard"] == "Take me to the racket."
    assert event["utterance"].lower() == "take me to the arrakis"
    assert event["scene"]["theme"] == "desert"


def test_whisper_is_asked_again_with_the_nearest_sounding_names_of_an_unknown_word(recogniser):
    # "carry wah joe" is nearest to Caravaggio, but not near enough to be taken for it unasked
    prompt = recogniser.reask_prompt([("Paint me like carry wah joe.", -0.9)])
    assert prompt and "Paint me like caravaggio." in prompt
    assert recogniser.reask_prompt([("Give me a sword.", -0.2)]) is None  # nothing unknown: nothing to ask


def test_the_second_hearing_is_taken_when_nothing_the_first_heard_makes_sense(recogniser):
    result = recogniser.understand(Scene.empty(), [("Paint me like carry wah joe.", -0.95)],
                                   [("Paint me like Caravaggio.", -0.4)])
    assert result.scene.style == "oil_painting"


def test_the_second_hearing_is_not_taken_when_a_first_reading_makes_sense(recogniser):
    result = recogniser.understand(Scene.empty(), [("Give me a sword.", -0.2)], [("Give me a crown.", -0.1)])
    assert summary(result.scene) == (["sword"], None, None)


CHIT_CHAT = [
    # said to the mirror, or near it, that must change nothing however it sounds
    [("What time is it?", -0.3)], [("My name is Sam.", -0.2)], [("Thank you so much.", -0.4)],
    [("Is this thing on?", -0.3)], [("I had pasta for lunch.", -0.3)], [("Look at that.", -0.5)],
    [("Hello there, mirror.", -0.3)], [("Oh no.", -0.4)], [("Where's my phone?", -0.5)],
    [("Can you hear me?", -0.3), ("Can you see me?", -0.6)], [("That's amazing.", -0.2)],
]


@pytest.mark.parametrize("alternatives", CHIT_CHAT)
def test_chit_chat_never_becomes_a_command(recogniser, alternatives):
    scene = say(recogniser, "give me a sword")
    assert not recogniser.understand(scene, alternatives).changed


def test_the_short_prompt_is_sentences_of_the_one_word_commands_and_names_no_colour():
    prompt = short_prompt()
    assert prompt.startswith("Undo. Redo.") and "Bigger." in prompt and prompt.endswith("No.")
    assert not any(f"{colour.capitalize()}." in prompt for colour in Catalog.load().colors)


DOUBTS = [
    # (typed before, whisper's readings, what "did you mean …?" names, or None: nothing asked)
    ([], [("Make it look like anime.", -0.40), ("Make me look like a Monet.", -0.45)], "Monet"),  # close, another scene
    (["give me a sword"], [("Take me to Hawaii.", -0.50), ("Take me to Mordor.", -0.56)], "Mordor"),
    ([], [("Make it look like anime.", -0.40), ("Make it look like manga.", -0.42)], None),  # one scene: they agree
    ([], [("Make it look like anime.", -0.40), ("Make me look like a Monet.", -0.90)], None),  # far behind
    ([], [("Make it look like anime.", -0.40), ("Make it look nice.", -0.41)], None),  # the other does nothing
    ([], [("Give me a sword.", -0.20)], None),  # one reading
]


@pytest.mark.parametrize("before, alternatives, name", DOUBTS)
def test_the_other_reading_is_offered_only_when_close_and_making_another_scene(recogniser, before, alternatives,
                                                                             name):
    scene = say(recogniser, *before)
    choice = recogniser.choose(scene, alternatives)
    assert choice.understood.scene == recogniser.understand(scene, alternatives).scene  # the choice is unchanged
    if name is None:
        assert choice.doubt is None
    else:
        doubt = choice.doubt
        assert doubt is not None and doubt.name == name and 0 <= doubt.margin <= DOUBT_MARGIN
        assert doubt.interpretation.scene.state != choice.understood.scene.state
        assert doubt.interpretation.scene.history[-1] == scene.state  # made on the scene it was said in


@pytest.mark.parametrize("reply, answer", [
    ("Yes.", "yes"), ("Yeah!", "yes"), ("Yes, please.", "yes"), ("The other one.", "yes"), ("Monet.", "yes"),
    ("Make me look like Monet.", "yes"), ("No.", "no"), ("Nope.", "no"), ("Make it blue.", None),
    ("Give me a crown.", None), ("Undo.", None),
])
def test_a_reply_to_did_you_mean_is_read_as_yes_no_or_another_command(recogniser, reply, answer):
    readings = [("Make it look like anime.", -0.40), ("Make it look like Monet.", -0.45)]
    doubt = recogniser.choose(Scene.empty(), readings).doubt
    assert doubt.answer(reply) == answer


def test_a_reading_the_scene_already_makes_sense_of_is_not_asked_again(recogniser):
    unknown = [("Make it look like the gas.", -0.5), ("Make it look like Degas.", -0.6)]
    assert recogniser.reask_prompt(unknown) is not None  # without the scene: an unknown word in the slot
    assert recogniser.reask_prompt(unknown, Scene.empty()) is None  # "Degas" is understood: no second hearing
    nothing = [("Paint me like carry wah joe.", -0.9)]
    assert recogniser.reask_prompt(nothing, Scene.empty()) == recogniser.reask_prompt(nothing)
