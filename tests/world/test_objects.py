"""The object library in world/: ~800 things people ask for, found by name, synonym or meaning,
placed where they are said to go (or where their category puts them), and edited like the
hand-made props. Rendering is tests/render/composite/test_objects.py's."""
from __future__ import annotations

import json

import pytest

from world import Scene, edits
from world.catalog import ANCHORS, CATALOG_DIR
from world.embedding import Embedder
from world.interpreter import Interpreter
from world.objects import MEANING_FILE, meaning_phrases, plural
from world.recognition import Recogniser


@pytest.fixture(scope="module")
def interpreter(catalog):
    return Interpreter(catalog, Embedder.load())


def say(interpreter, *utterances: str) -> Scene:
    scene = Scene.empty()
    for text in utterances:
        scene = interpreter.apply(scene, text).scene
    return scene


def matches(prop, expected: str) -> bool:
    """expected: "[colour ]id|id…[@anchor]", as in tools/bench/world_objects_heldout.py."""
    expected, _, anchor = expected.partition("@")
    color, _, kinds = expected.rpartition(" ")
    return (prop.kind in kinds.split("|") and (not color or prop.color == color)
            and (not anchor or prop.anchor == anchor))


# ---- the data ----
def test_the_library_holds_the_art_sets_things_in_every_category(catalog):
    assert 700 <= len(catalog.objects) <= 1800
    used = {e.category for e in catalog.objects.values()}
    assert used == set(catalog.object_categories)
    # The hand-made props keep their ids; nothing of the library shadows them.
    assert not set(catalog.objects) & set(catalog.props)
    for kind in ("t_rex", "sauropod", "cat", "pizza", "balloon", "duck", "jack_o_lantern", "violin", "trophy"):
        assert kind in catalog.objects, kind


def test_no_faces_flags_symbols_or_skin_tone_variants(catalog):
    ids = set(catalog.objects)
    for left_out in ("grinning_face", "red_circle", "chequered_flag", "a_button_blood_type", "thumbs_up",
                     "cat_face", "artist_dark", "one_oclock", "heart_suit"):
        assert left_out not in ids, left_out
    for person in ("astronaut", "ninja", "person_fairy"):  # in, without the art set's skin-tone variants
        assert person in ids and not {f"{person}_{tone}" for tone in ("dark", "medium", "light")} & ids


def test_the_source_licence_and_version_are_recorded_beside_the_data():
    data = json.loads((CATALOG_DIR / "objects.json").read_text())
    art = data["source"]["art"]
    assert (art["package"], art["license"], art["author"]) == (
        "@iconify-json/fluent-emoji-flat", "MIT", "Microsoft Corporation")
    notice = (CATALOG_DIR / "NOTICE.md").read_text()
    assert art["version"] in notice and data["source"]["keywords"]["version"] in notice


def test_the_meaning_vectors_built_with_the_library_are_its_phrases(catalog):
    import numpy as np

    with np.load(CATALOG_DIR / MEANING_FILE) as saved:
        assert list(saved["phrases"]) == [p for p, _ in meaning_phrases(catalog.objects)]


@pytest.mark.parametrize("word, plural_form", [("cat", "cats"), ("ice cream cone", "ice cream cones"),
                                               ("fairy", "fairies"), ("box", "boxes"), ("mouse", "mice"),
                                               ("books", None), ("bus", "buses")])
def test_plurals_of_names(word, plural_form):
    assert plural(word) == plural_form


# ---- where things go ----
def test_each_category_puts_its_things_at_its_own_anchor(catalog):
    for category in catalog.object_categories.values():
        assert category.anchor in ANCHORS
        kind = next(e.id for e in catalog.objects.values() if e.category == category.id)
        scene = edits.add_prop(Scene.empty(), catalog, kind)
        assert scene.props[0].anchor == category.anchor, (category.id, kind)


DEFAULT_PLACES = [
    # (said, kind, where its category puts it)
    ("give me a pizza", "pizza", "right_hand"),
    ("give me a baseball cap", "billed_cap", "head"),
    ("give me goggles", "goggles", "face"),
    ("give me a medal", "sports_medal", "neck"),
    ("give me a kimono", "kimono", "shoulders"),
    ("give me some high heels", "high_heeled_shoe", "feet"),
    ("give me a cat", "cat", "beside"),
    ("give me a giraffe", "giraffe", "next_to"),
    ("give me an evergreen tree", "evergreen_tree", "behind"),
    ("give me snowflakes", "snowflake", "around"),
]


@pytest.mark.parametrize("said, kind, anchor", DEFAULT_PLACES)
def test_a_thing_said_without_a_place_goes_where_its_category_puts_it(interpreter, said, kind, anchor):
    (prop,) = say(interpreter, said).props
    assert (prop.kind, prop.anchor) == (kind, anchor)
    assert interpreter.catalog.object_categories[interpreter.catalog.objects[kind].category].anchor == anchor


PLACEMENTS = [
    ("put a cat on my head", "cat@head"),
    ("give me a pizza in my left hand", "pizza@left_hand"),
    ("put a dog on my shoulder", "dog|poodle@beside"),
    ("give me sparkles all around me", "sparkles@around"),
    ("I want balloons around me", "balloon@around"),
    ("put an elephant next to me", "elephant@next_to"),
    ("a rabbit beside me", "rabbit@next_to"),
    ("put a rainbow behind me", "rainbow@behind"),
    ("put a football at my feet", "soccer_ball|american_football@feet"),
    ("put a crown around my neck", "crown@neck"),  # a hand-made prop moves too
]


@pytest.mark.parametrize("said, expected", PLACEMENTS)
def test_placement_words_override_the_categorys_place(interpreter, said, expected):
    (prop,) = say(interpreter, said).props
    assert matches(prop, expected), prop


# ---- 40+ phrases of our own (the held-out ones are tools/bench/world_objects_heldout.py) ----
PHRASES = [
    # animals
    ("give me a dinosaur", ["t_rex|sauropod"]),
    ("give me a rubber duck", ["duck"]),
    ("give me a giraffe", ["giraffe"]),
    ("give me a ladybug", ["lady_beetle"]),
    ("I want a koala", ["koala"]),
    ("give me a whale", ["whale|spouting_whale"]),
    ("a parrot on my shoulder", ["parrot@beside"]),  # the hand-made parrot
    # food
    ("I want a pizza", ["pizza"]),
    ("give me an ice cream", ["ice_cream|soft_ice_cream"]),
    ("give me a croissant", ["croissant"]),
    ("hand me a cup of tea", ["hot_beverage|teacup_without_handle"]),
    ("give me some grapes", ["grapes"]),
    ("give me a carrot", ["carrot"]),
    # plants
    ("give me a potted plant", ["potted_plant"]),
    ("give me an evergreen tree", ["evergreen_tree"]),
    ("give me a tulip", ["flower"]),  # the hand-made flower
    # instruments
    ("give me a trumpet", ["trumpet"]),
    ("I want an accordion", ["accordion"]),
    ("give me a banjo", ["banjo"]),
    # clothing
    ("give me a kimono", ["kimono"]),
    ("give me some high heels", ["high_heeled_shoe"]),
    ("give me a coat", ["coat"]),
    # sports
    ("I want to hold a trophy", ["trophy"]),
    ("give me a volleyball", ["volleyball"]),
    ("give me a ping pong paddle", ["ping_pong"]),
    ("give me ice skates", ["ice_skate"]),
    # vehicles
    ("give me a bus", ["bus"]),
    ("give me a tractor", ["tractor"]),
    ("give me a canoe", ["canoe"]),
    ("give me a ufo", ["flying_saucer"]),
    # places on the body
    ("put a pumpkin on my head", ["jack_o_lantern@head"]),
    ("give me a bunch of balloons", ["balloon"]),
    ("put a cat on my head", ["cat@head"]),
    ("put an elephant next to me", ["elephant@next_to"]),
    # colours
    ("give me a purple dinosaur", ["purple t_rex|sauropod"]),
    ("give me a blue cat", ["blue cat"]),
    ("give me a green banana", ["green banana"]),
    ("give me a rainbow", ["rainbow"]),  # a colour's name, said as a thing
    # several at once, and the hand-made props first
    ("give me a cat and a dog", ["cat", "dog"]),
    ("give me a sword, a dinosaur and a pizza", ["sword", "t_rex|sauropod", "pizza"]),
    ("give me a sword", ["sword"]),
    ("give me a rose", ["flower"]),
]


@pytest.mark.parametrize("said, expected", PHRASES)
def test_the_thing_people_mean_is_drawn(interpreter, said, expected):
    scene = say(interpreter, said)
    assert len(scene.props) == len(expected), [p.kind for p in scene.props]
    for prop, want in zip(scene.props, expected):
        assert matches(prop, want), (prop, want)
    assert scene.extras == ()


DIALOGUES = [
    # (said, what the scene then holds)
    (["give me a dinosaur", "make the dinosaur purple"], ["purple t_rex"]),
    (["give me a car", "make it gold"], ["gold automobile"]),
    (["give me a dinosaur", "make it purple", "undo"], ["t_rex"]),
    (["give me a dinosaur", "make it purple", "undo", "redo"], ["purple t_rex"]),
    (["give me a cat", "not a cat, a dog"], ["dog"]),
    (["put a cat on my head", "no, a dog"], ["dog@head"]),  # the place said stays
    (["give me a pizza", "give me a banana", "remove the pizza"], ["banana"]),
    (["give me a dinosaur", "get rid of it"], []),
    (["give me a cat", "put it in my left hand"], ["cat@left_hand"]),
    (["give me a sword", "give me a dinosaur", "make them both red"], ["red sword", "red t_rex"]),
    (["give me a dinosaur", "start over"], []),
]


@pytest.mark.parametrize("utterances, expected", DIALOGUES)
def test_a_library_object_is_edited_like_a_prop(interpreter, utterances, expected):
    scene = say(interpreter, *utterances)
    assert len(scene.props) == len(expected), [p.kind for p in scene.props]
    for prop, want in zip(scene.props, expected):
        assert matches(prop, want), (prop, want)


def test_bigger_and_smaller_scale_a_library_object(interpreter):
    scene = say(interpreter, "give me a dinosaur", "bigger")
    assert scene.props[0].scale == pytest.approx(1.5)
    assert say(interpreter, "give me a dinosaur", "make it smaller").props[0].scale < 1


def test_a_library_object_survives_undo_and_a_correction_as_one_step_each(interpreter):
    before = say(interpreter, "give me a cat")
    corrected = interpreter.apply(before, "no, not a cat, a dog").scene
    assert [p.kind for p in corrected.props] == ["dog"]
    assert interpreter.apply(corrected, "undo").scene.state == before.state
    assert Scene.from_json(corrected.to_json()) == corrected  # the scene a clip's session writes


@pytest.mark.parametrize("said", ["give me a feeling of joy", "I want world peace", "give me some happiness"])
def test_what_is_no_thing_is_said_plainly_not_drawn(interpreter, said):
    result = interpreter.apply(Scene.empty(), said)
    assert result.scene.props == ()
    assert [text for text, _ in result.not_drawn] == list(result.scene.extras)
    event = result.to_event()
    assert event["not_drawn"] and set(said.split()[-2:]) <= set(event["not_drawn"][0]["text"].split())


def test_what_it_cannot_draw_comes_with_the_nearest_things_it_can(interpreter):
    result = interpreter.apply(Scene.empty(), "give me a time machine")
    ((thing, nearest),) = result.not_drawn
    assert thing == "a time machine" and "clock" in nearest


@pytest.mark.parametrize("said", ["I love pizza", "my cat is called tom", "the dog ate my homework",
                                  "mirror mirror on the wall", "I had a sandwich and a banana"])
def test_talk_that_names_a_thing_asks_for_nothing(interpreter, said):
    assert not interpreter.apply(Scene.empty(), said).changed


def test_the_prompt_names_library_objects_and_where_they_are(interpreter, catalog):
    scene = say(interpreter, "give me a dinosaur", "put a purple cat on my head", "give me balloons all around me",
                "give me a pizza")
    prompt = scene.prompt(catalog)
    assert "T-Rex beside them" in prompt and "a purple cat on their head" in prompt
    assert "balloons all around" in prompt and "holding a pizza" in prompt


# ---- speech ----
def test_the_recogniser_hears_a_library_name_it_sounds_like(interpreter):
    recogniser = Recogniser(interpreter)
    result = recogniser.understand(Scene.empty(), [("Give me a dinosore.", -0.4)])
    assert [p.kind for p in result.scene.props] == ["t_rex"]
    assert [meant for _, meant in result.replaced] == ["a dinosaur"]


def test_the_recogniser_takes_a_library_name_as_heard(interpreter):
    result = Recogniser(interpreter).understand(Scene.empty(), [("Put a pumpkin on my head.", -0.3)])
    assert [(p.kind, p.anchor) for p in result.scene.props] == [("jack_o_lantern", "head")]
    assert result.replaced == []
