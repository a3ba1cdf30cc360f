"""Corrections and terse negation, as tables: what was said before, the correction, the scene after.

props are "kind", "colour kind"; a prop written without a colour must have none.
"""
from __future__ import annotations

import pytest

from world import Catalog, Scene
from world.interpreter import Interpreter


@pytest.fixture(scope="module")
def interpreter():
    return Interpreter(Catalog.load())


def say(interpreter, *utterances: str) -> Scene:
    scene = Scene.empty()
    for text in utterances:
        scene = interpreter.apply(scene, text).scene
    return scene


def props(scene: Scene) -> list[str]:
    return [" ".join(w for w in (p.color, p.kind) if w) for p in scene.props]


CORRECTIONS = [
    # (said before, correction, props, theme, style)
    (["give me a crown"], "no, not a crown, a helmet", ["helmet"], None, None),
    (["give me a red cape"], "not a cape, a scarf", ["red scarf"], None, None),  # its colour is kept
    (["give me a sword", "make it green"], "I meant purple", ["purple sword"], None, None),
    (["give me a sword"], "no, a shield", ["shield"], None, None),
    (["give me a sword", "give me a cape"], "no, not the sword, a lightsaber", ["cape", "lightsaber"], None, None),
    (["give me a top hat"], "a crown instead", ["crown"], None, None),
    (["give me a wand"], "make that gold", ["gold wand"], None, None),
    (["give me a sword", "give me a crown", "make it red"], "no, blue", ["sword", "blue crown"], None, None),
    (["put me in the jungle"], "not the jungle, the desert", [], "desert", None),
    (["put me in the jungle", "give me a sword"], "I meant the desert", ["sword"], "desert", None),
    (["make it look like neon"], "sorry, I meant film noir", [], None, "film_noir"),
    (["make it look like neon"], "no, watercolor", [], None, "watercolor"),
    ([], "I meant blue", [], None, None),  # nothing was done: nothing to correct
    # what was said to be wrong, misheard: what is meant still replaces what was just done
    (["put me in the desert"], "not a map, a jungle", [], "jungle", None),
    (["give me a sword"], "not the swan, a wand", ["wand"], None, None),
]


@pytest.mark.parametrize("before, correction, expected, theme, style", CORRECTIONS)
def test_a_correction_replaces_what_was_just_done(interpreter, before, correction, expected, theme, style):
    scene = say(interpreter, *before, correction)
    assert (props(scene), scene.theme, scene.style) == (expected, theme, style)


def test_i_meant_smaller_undoes_bigger_then_makes_it_smaller(interpreter):
    (sword,) = say(interpreter, "give me a sword", "make it bigger", "I meant smaller").props
    assert sword.scale == pytest.approx(0.67)


def test_a_correction_is_one_step_that_undo_takes_back(interpreter):
    scene = say(interpreter, "give me a sword", "no, not a sword, a wand")
    assert props(scene) == ["wand"]
    assert props(interpreter.apply(scene, "undo").scene) == ["sword"]


def test_the_page_is_told_what_replaced_what(interpreter):
    scene = say(interpreter, "give me a sword")
    result = interpreter.apply(scene, "no, not a sword, a wand")
    assert result.changed and result.explain == "wand instead of sword"


TERSE_NEGATION = [
    (["give me a crown"], "no crown", [], None, None),
    (["give me a sword", "give me a crown"], "no sword", ["crown"], None, None),
    (["give me a sword", "give me a crown"], "no sword please", ["crown"], None, None),
    (["put me in the desert", "give me a sword"], "no desert", ["sword"], None, None),
    (["put me in the desert", "make it look like a comic"], "no comic", [], "desert", None),
    (["give me a sword"], "no", [], None, None),  # a bare "no" undoes the last change
    (["give me a sword", "make it red"], "nope", ["sword"], None, None),
    (["give me a sword", "make it red"], "no no no", ["sword"], None, None),
]


@pytest.mark.parametrize("before, said, expected, theme, style", TERSE_NEGATION)
def test_no_and_a_thing_that_is_there_takes_it_away(interpreter, before, said, expected, theme, style):
    scene = say(interpreter, *before, said)
    assert (props(scene), scene.theme, scene.style) == (expected, theme, style)


NOT_CORRECTIONS = [
    # what is said, with "no", "not" or "actually" in it, and still means what it always meant
    (["give me a sword"], "no thanks", ["sword"]),
    (["give me a sword"], "oh no", ["sword"]),
    (["give me a sword"], "no that's great", ["sword"]),
    (["give me a sword"], "no wait", ["sword"]),
    (["give me a crown"], "no more crown", []),
    (["give me a sword"], "actually give me a crown too", ["sword", "crown"]),
    (["give me a sword"], "don't give me a crown", ["sword"]),
    (["give me a sword"], "not the crown", ["sword"]),
    (["give me a sword"], "I don't want a crown", ["sword"]),
    (["put me in the desert", "give me a sword"], "not in the jungle", ["sword"]),
]


@pytest.mark.parametrize("before, said, expected", NOT_CORRECTIONS)
def test_what_only_sounds_like_a_correction_is_read_as_before(interpreter, before, said, expected):
    assert props(say(interpreter, *before, said)) == expected
