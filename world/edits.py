"""Pure edit operations on a Scene: each returns a new Scene (or the same one if nothing changes).

The interpreter decides *what* was asked; these functions are the only way a scene changes, and
they keep it valid: known anchors, scale and strength clamped, "it" pointing at a real prop.
"""
from __future__ import annotations

from dataclasses import replace

from world.catalog import ANCHORS, Catalog
from world.scene import SCALE_MAX, SCALE_MIN, STRENGTH_MAX, STRENGTH_MIN, Prop, Scene

MAX_PROPS = 12  # more than this is clutter on a 640×480 mirror; the oldest goes
MAX_EXTRAS = 8


def add_prop(scene: Scene, catalog: Catalog, kind: str, *, anchor: str | None = None, color: str | None = None,
             scale: float = 1.0, material: str | None = None) -> Scene:
    entry = catalog.prop(kind)
    anchor = anchor if anchor in ANCHORS else entry.anchor
    prop = Prop(kind, anchor, color, _clamp(scale, SCALE_MIN, SCALE_MAX), material)
    # One prop per (kind, anchor): asking again for a sword in the same hand changes that sword.
    props = [p for p in scene.props if not (p.kind == kind and p.anchor == anchor)]
    props.append(prop)
    props = props[-MAX_PROPS:]
    return scene.edit(props=tuple(props), focus=len(props) - 1)


def change_prop(scene: Scene, index: int, *, color: str | None = None, scale_by: float | None = None,
                scale: float | None = None, anchor: str | None = None, material: str | None = None) -> Scene:
    if not 0 <= index < len(scene.props):
        return scene
    prop = scene.props[index]
    changes: dict = {}
    if color is not None:
        changes["color"] = color
    if scale is not None:
        changes["scale"] = _clamp(scale, SCALE_MIN, SCALE_MAX)
    if scale_by is not None:
        changes["scale"] = _clamp(prop.scale * scale_by, SCALE_MIN, SCALE_MAX)
    if anchor is not None and anchor in ANCHORS:
        changes["anchor"] = anchor
    if material is not None:
        changes["material"] = material
    props = list(scene.props)
    props[index] = replace(prop, **changes)
    return scene.edit(props=tuple(props), focus=index)


def remove_prop(scene: Scene, index: int) -> Scene:
    if not 0 <= index < len(scene.props):
        return scene
    props = scene.props[:index] + scene.props[index + 1:]
    focus = scene.focus
    if focus is not None:
        focus = None if focus == index else (focus - 1 if focus > index else focus)
    if focus is None and props:
        focus = len(props) - 1
    return scene.edit(props=props, focus=focus)


def clear_props(scene: Scene) -> Scene:
    return scene.edit(props=(), extras=(), focus=None)


def set_theme(scene: Scene, theme: str | None) -> Scene:
    """One place at a time: a theme replaces a place the catalog could not draw ('in ancient rome')."""
    return scene.edit(theme=theme, extras=tuple(e for e in scene.extras if not e.startswith("in ")))


def set_place(scene: Scene, place: str) -> Scene:
    """A place the catalog has no theme for: it replaces the theme and goes to the prompt."""
    extras = tuple(e for e in scene.extras if not e.startswith("in ")) + (f"in {place}",)
    return scene.edit(theme=None, extras=extras[-MAX_EXTRAS:])


def set_style(scene: Scene, style: str | None) -> Scene:
    return scene.edit(style=style, style_strength=STRENGTH_MAX if style else scene.style_strength)


def change_style_strength(scene: Scene, delta: float) -> Scene:
    return scene.edit(style_strength=round(_clamp(scene.style_strength + delta, STRENGTH_MIN, STRENGTH_MAX), 4))


def add_extra(scene: Scene, text: str) -> Scene:
    text = " ".join(text.split())[:80]
    if not text or text in scene.extras:
        return scene
    return scene.edit(extras=(*scene.extras, text)[-MAX_EXTRAS:])


def reset(scene: Scene) -> Scene:
    """Start over: an empty scene, but undoable."""
    return scene.edit(theme=None, style=None, style_strength=STRENGTH_MAX, props=(), extras=(), focus=None)


def undo(scene: Scene) -> Scene:
    return scene.undo()


def redo(scene: Scene) -> Scene:
    return scene.redo()


def _clamp(value: float, low: float, high: float) -> float:
    # Rounded so that scenes read back from JSON and repeated edits ("bigger", "smaller") compare equal.
    return round(max(low, min(high, float(value))), 4)
