"""Corrections and terse negation: what is said right after the mirror did something, about it.

    "no, not a sword, a wand"     the wand replaces the sword (its colour and size kept)
    "I meant blue" / "no, blue"   the colour of what was just added or changed becomes blue
    "not the beach, the desert"   the theme (style) is replaced (also when "the beach" was misheard:
                                  "not the bench, the desert")
    "take me somewhere cold instead"
    "no sword" / "no anime"       what is there and named goes
    "no" / "nope"                 the last change is undone

What was "just done" is read from the scene itself: the props that differ from the state before
the last step, else the prop "it" points at. A correction is a new step of history, so undo after
it shows the mistake again, like any other edit.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

from world import edits
from world.catalog import Catalog
from world.phrases import SIZE_WORDS, Mention, Phrases
from world.scene import Prop, Scene

_NO = {"no", "nope", "nah"}
_ARTICLES = ("a", "an", "the", "my")  # what may stand before a thing named: "not *the* desert"
# Words before the correction proper: "no wait, ...", "oh sorry, I meant ...".
_LEAD = _NO | {"sorry", "oops", "wait", "oh", "um", "uh", "er", "hmm", "so", "okay", "ok", "well"}
# Said before what is meant instead.
_CUES = ("i meant", "i mean", "meant", "i said", "i wanted", "make that", "actually", "rather", "instead")
WORDS = (*_LEAD, *_CUES, "not")  # the words this module reacts to
# "actually, a crown too" adds; it corrects nothing.
_ADDING = re.compile(r"\b(too|also|as well|give me|can i have|add|another)\b")


@dataclass(frozen=True)
class Correction:
    kind: str  # "undo", "remove" (what is named goes) or "replace" (what was just done, by `new`)
    new: tuple[Mention, ...] = ()  # what is meant (for "remove": what goes)
    old: Mention | None = None  # what was said to be wrong: "not a sword"
    sizes: tuple[float, ...] = ()  # "I meant smaller"


def read(norm: str, scene: Scene, phrases: Phrases) -> Correction | None:
    """The correction said in `norm` (normalised text), or None when it is not one."""
    words = norm.split()
    if words and all(w in _NO for w in words):
        return Correction("undo")
    lead = 0
    while lead < len(words) and words[lead] in _LEAD:
        lead += 1
    said_no = any(w in _NO for w in words[:lead])
    rest = " ".join(words[lead:])
    if not rest or rest.startswith(("more ", "thanks", "thank")) or _ADDING.search(rest):
        return None
    mentions = phrases.mentions(rest)
    sizes = tuple(SIZE_WORDS[w] for w in rest.split() if w in SIZE_WORDS)
    # "not a sword, a wand", "a wand instead of the sword": the thing said to be wrong.
    wrong = [m for m in mentions if _said_wrong(rest.split(), m)]
    old = wrong[0] if wrong else None
    new = tuple(m for m in mentions if m not in wrong)
    if wrong or re.search(r"(^|\s)(" + "|".join(_CUES) + r")\b", rest):
        return Correction("replace", new, old, sizes) if new or sizes else None
    if new and _not_misheard_then(rest.split()[:new[0].start]):
        # "not the mammoth, the jungle": what was said to be wrong was misheard, what is meant was not.
        return Correction("replace", new, None, sizes)
    if said_no and mentions:
        there = [m for m in mentions if _present(scene, m)]
        if len(there) == len(mentions):
            return Correction("remove", tuple(there))  # "no sword": it is there, take it away
        absent = tuple(m for m in mentions if m not in there)
        return Correction("replace", absent, there[0] if there else None, sizes)  # "no, blue"
    return None


def apply(correction: Correction, scene: Scene, catalog: Catalog) -> tuple[Scene, list[str]]:
    """The scene with the correction made, and what to tell the person."""
    if correction.kind == "undo":
        return edits.undo(scene), ["undo"]
    if correction.kind == "remove":
        return _remove(correction.new, scene, catalog)
    return _replace(correction, scene, catalog)


def _remove(mentions: tuple[Mention, ...], scene: Scene, catalog: Catalog) -> tuple[Scene, list[str]]:
    notes = []
    for m in mentions:
        if m.group == "prop" and (index := _find(scene, m.id)) is not None:
            scene = edits.remove_prop(scene, index)
            notes.append(f"removed {catalog.prop(m.id).name}")
        elif m.group == "theme" and scene.theme == m.id:
            scene = edits.set_theme(scene, None)
            notes.append("removed the background")
        elif m.group == "style" and scene.style == m.id:
            scene = edits.set_style(scene, None)
            notes.append("back to the normal look")
    return scene, notes


def _replace(correction: Correction, scene: Scene, catalog: Catalog) -> tuple[Scene, list[str]]:
    notes = []
    target = _target(scene, correction.old)
    colors = [m.id for m in correction.new if m.group == "color"]
    for m in correction.new:
        if m.group == "theme":
            scene = edits.set_theme(scene, m.id)
            notes.append(f"theme: {catalog.themes[m.id].name} instead")
        elif m.group == "style":
            scene = edits.set_style(scene, m.id)
            notes.append(f"style: {catalog.styles[m.id].name} instead")
    props = [m for m in correction.new if m.group == "prop"]
    for m in props:
        if target is not None and scene.props[target].kind != m.id:
            wrong = scene.props[target]
            # Where the wrong thing was put on purpose ("a cat on my head"), the right one goes too.
            placed = wrong.anchor if wrong.anchor != catalog.prop(wrong.kind).anchor else None
            scene = edits.remove_prop(scene, target)
            scene = edits.add_prop(scene, catalog, m.id, anchor=placed, color=colors[0] if colors else wrong.color,
                                   scale=wrong.scale)
            notes.append(f"{catalog.prop(m.id).name} instead of {catalog.prop(wrong.kind).name}")
            target = None  # one thing replaces one thing; any others are added
        elif _find(scene, m.id) is None:
            scene = edits.add_prop(scene, catalog, m.id, color=colors[0] if colors else None)
            notes.append(f"added {catalog.prop(m.id).name}")
    if not props and target is not None and (colors or correction.sizes):
        prop = scene.props[target]
        scale = None
        if correction.sizes:
            # "I meant smaller" after "bigger": the size before the last step, made smaller.
            scale = _before_last_step(scene, prop).scale * math.prod(correction.sizes)
        scene = edits.change_prop(scene, target, color=colors[0] if colors else None, scale=scale)
        notes.append(f"changed {catalog.prop(prop.kind).name}")
    return scene, notes


def _not_misheard_then(before: list[str]) -> bool:
    """Whether the words before the first thing named have the shape of "not the X, the" with X
    one or two words that name nothing: "not in the jungle" has not, "not the mammoth the" has."""
    if len(before) < 3 or before[0] != "not" or before[1] not in _ARTICLES:
        return False
    middle = before[2:-1] if before[-1] in _ARTICLES else before[2:]
    return 1 <= len(middle) <= 2 and not any(w in _ARTICLES for w in middle)


def _said_wrong(words: list[str], m: Mention) -> bool:
    """Whether `m` follows "not" or "instead of" (an article may stand between)."""
    before = [w for w in words[:m.start] if w not in (*_ARTICLES, "some")][-2:]
    return before[-1:] == ["not"] or before == ["instead", "of"]


def _target(scene: Scene, old: Mention | None) -> int | None:
    """The prop a correction is about: the one named as wrong, else the last one the previous step
    added or changed, else the one "it" points at. A thing named as wrong that is not there was
    misheard ("not the swan, a wand" said of a sword): what was just done is meant."""
    if old is not None and old.group == "prop" and (index := _find(scene, old.id)) is not None:
        return index
    before = scene.history[-1].props if scene.history else ()
    touched = [i for i, p in enumerate(scene.props) if p not in before]
    return touched[-1] if touched else scene.focus


def _before_last_step(scene: Scene, prop: Prop) -> Prop:
    before = scene.history[-1].props if scene.history else ()
    return next((p for p in before if (p.kind, p.anchor) == (prop.kind, prop.anchor)), prop)


def _present(scene: Scene, m: Mention) -> bool:
    if m.group == "prop":
        return _find(scene, m.id) is not None
    return (m.group == "theme" and scene.theme == m.id) or (m.group == "style" and scene.style == m.id)


def _find(scene: Scene, kind: str) -> int | None:
    return next((i for i in range(len(scene.props) - 1, -1, -1) if scene.props[i].kind == kind), None)
