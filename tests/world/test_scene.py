"""The scene as data: edits, undo/redo, JSON, prompt, catalog consistency."""

from world import Scene
from world import edits


def test_catalog_has_the_promised_size(catalog):
    assert len(catalog.props) >= 20 and len(catalog.themes) >= 12 and len(catalog.styles) >= 8
    assert {"sword", "crown", "wizard_hat", "sunglasses", "cape", "wings"} <= set(catalog.props)
    assert {"game_of_thrones", "outer_space", "underwater", "ice_palace"} <= set(catalog.themes)


def test_every_style_names_a_composite_filter_and_neural_presets_only_where_promised(catalog):
    for style in catalog.styles.values():
        assert style.filter in catalog.styles
    assert {s.id for s in catalog.styles.values() if s.neural} == {
        "oil_painting", "watercolor", "van_gogh", "mosaic", "impressionist", "ukiyo_e", "comic"}


def test_every_change_bumps_the_version_and_undo_restores_exactly(catalog):
    s0 = Scene.empty()
    s1 = edits.add_prop(s0, catalog, "sword")
    s2 = edits.change_prop(s1, 0, color="blue", scale_by=1.5)
    assert (s0.version, s1.version, s2.version) == (0, 1, 2)
    assert s2.undo().state == s1.state
    assert s2.undo().undo().state == s0.state
    assert s2.undo().redo().state == s2.state
    assert s2.undo().version == 3  # undo is a change too: renderers must notice it


def test_an_edit_that_changes_nothing_returns_the_same_scene(catalog):
    s = edits.set_theme(Scene.empty(), "beach")
    assert edits.set_theme(s, "beach") is s


def test_asking_twice_for_the_same_prop_in_the_same_place_keeps_one(catalog):
    s = edits.add_prop(Scene.empty(), catalog, "sword")
    s = edits.add_prop(s, catalog, "sword", color="red")
    assert [(p.kind, p.color) for p in s.props] == [("sword", "red")]


def test_scale_is_clamped(catalog):
    s = edits.add_prop(Scene.empty(), catalog, "sword")
    for _ in range(10):
        s = edits.change_prop(s, 0, scale_by=2)
    assert s.props[0].scale == 4.0


def test_removing_a_prop_keeps_it_pointing_at_a_real_prop(catalog):
    s = edits.add_prop(Scene.empty(), catalog, "sword")
    s = edits.add_prop(s, catalog, "crown")
    s = edits.remove_prop(s, 1)
    assert s.focus == 0 and s.props[s.focus].kind == "sword"


def test_json_round_trip_keeps_history(catalog):
    s = edits.set_style(edits.add_prop(Scene.empty(), catalog, "cape", color="red"), "anime")
    again = Scene.from_json(s.to_json())
    assert again == s
    assert again.undo().state == s.undo().state


def test_prompt_reads_like_a_caption(catalog):
    s = edits.add_prop(Scene.empty(), catalog, "sword", color="blue", scale=1.5)
    s = edits.add_prop(s, catalog, "crown")
    s = edits.set_theme(s, "game_of_thrones")
    s = edits.add_extra(s, "a flying elephant")
    prompt = s.prompt(catalog)
    assert prompt.startswith("a person holding a large blue sword and wearing a golden crown with a flying elephant")
    assert "Game of Thrones" in prompt
