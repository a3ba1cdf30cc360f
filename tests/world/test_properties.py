"""Properties of the state model over arbitrary speech: it never breaks, and undo is exact."""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings, strategies as st

from world import Catalog, Scene
from world.catalog import ANCHORS
from world.interpreter import Interpreter
from world.scene import SCALE_MAX, SCALE_MIN, STRENGTH_MAX, STRENGTH_MIN

CATALOG = Catalog.load()
INTERPRETER = Interpreter(CATALOG)

# Words the interpreter reacts to, mixed with anything at all: random text alone rarely says
# "give me a sword", and the interesting states need props, themes and styles.
VOCABULARY = [
    "give me a", "make it", "take away the", "put me in", "undo", "redo", "start over", "remove everything",
    "bigger", "smaller", "huge", "and", "don't", "no more", "look like", "blue", "red", "gold", "on my head",
    "sword", "crown", "wizard hat", "cape", "wings", "game of thrones", "space", "anime", "van gogh",
    "a flying elephant", "it", "the", "subtler", "more painterly", "no background", "normal look",
]
speech = st.lists(st.one_of(st.sampled_from(VOCABULARY), st.text(max_size=12)), max_size=8).map(" ".join)


def assert_valid(scene: Scene) -> None:
    assert scene.theme is None or scene.theme in CATALOG.themes
    assert scene.style is None or scene.style in CATALOG.styles
    assert STRENGTH_MIN <= scene.style_strength <= STRENGTH_MAX
    for prop in scene.props:
        assert CATALOG.prop(prop.kind) is not None and prop.anchor in ANCHORS
        assert SCALE_MIN <= prop.scale <= SCALE_MAX
        assert prop.color is None or CATALOG.color_rgb(prop.color) is not None
    assert scene.focus is None or 0 <= scene.focus < len(scene.props)
    assert Scene.from_json(scene.to_json()) == scene


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(speech, max_size=8))
def test_arbitrary_speech_never_raises_and_never_corrupts_the_scene(utterances):
    scene = Scene.empty()
    for text in utterances:
        result = INTERPRETER.apply(scene, text)
        assert result.scene.version >= scene.version
        assert result.changed == (result.scene.state != scene.state)
        assert result.changed == (result.scene.version > scene.version)
        scene = result.scene
        assert_valid(scene)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(speech, max_size=8), speech)
def test_undo_restores_the_scene_before_any_change_exactly(history, last):
    scene = Scene.empty()
    for text in history:
        scene = INTERPRETER.apply(scene, text).scene
    result = INTERPRETER.apply(scene, last)
    if result.changed and result.explain not in ("undo", "redo"):  # undoing an undo goes further back
        assert INTERPRETER.apply(result.scene, "undo").scene.state == scene.state
