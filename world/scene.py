"""The scene: what the mirror shows, as immutable data.

Renderers on other threads read a Scene object while the session swaps in a new one: nothing here
is ever mutated. `version` increases on every change (undo and redo too), so a renderer can tell
cheaply that something changed. The undo history travels with the scene (bounded), so a scripted
dialogue (`mirror command --scene FILE`) can undo across invocations.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from world.catalog import Catalog

SCENE_FORMAT = 1
HISTORY_LIMIT = 50
SCALE_MIN, SCALE_MAX = 0.25, 4.0
STRENGTH_MIN, STRENGTH_MAX = 0.2, 1.0


@dataclass(frozen=True)
class Prop:
    kind: str  # a catalog prop's id, or a library object's
    anchor: str  # body part it is attached to
    color: str | None = None  # palette name
    scale: float = 1.0  # relative to the catalog size
    material: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "anchor": self.anchor, "color": self.color, "scale": self.scale,
                "material": self.material}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Prop":
        return cls(str(d["kind"]), str(d["anchor"]), d.get("color"), float(d.get("scale", 1.0)), d.get("material"))


@dataclass(frozen=True)
class SceneState:
    """The content of a scene — what undo restores."""

    theme: str | None = None
    style: str | None = None
    style_strength: float = 1.0
    props: tuple[Prop, ...] = ()
    extras: tuple[str, ...] = ()
    focus: int | None = None  # index into props of what "it" means, or None

    def to_dict(self) -> dict[str, Any]:
        return {
            "theme": self.theme, "style": self.style, "style_strength": self.style_strength,
            "props": [p.to_dict() for p in self.props], "extras": list(self.extras), "focus": self.focus,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "SceneState":
        return cls(
            theme=d.get("theme"), style=d.get("style"), style_strength=float(d.get("style_strength", 1.0)),
            props=tuple(Prop.from_dict(p) for p in d.get("props", ())),
            extras=tuple(str(e) for e in d.get("extras", ())), focus=d.get("focus"),
        )


@dataclass(frozen=True)
class Scene:
    version: int = 0
    state: SceneState = field(default_factory=SceneState)
    history: tuple[SceneState, ...] = ()  # older states, most recent last
    future: tuple[SceneState, ...] = ()  # states undone, most recent last (for redo)

    # --- the content, read directly by renderers ---
    @property
    def theme(self) -> str | None:
        return self.state.theme

    @property
    def style(self) -> str | None:
        return self.state.style

    @property
    def style_strength(self) -> float:
        return self.state.style_strength

    @property
    def props(self) -> tuple[Prop, ...]:
        return self.state.props

    @property
    def extras(self) -> tuple[str, ...]:
        return self.state.extras

    @property
    def focus(self) -> int | None:
        return self.state.focus

    @staticmethod
    def empty() -> "Scene":
        return Scene()

    # --- changes (world/edits.py builds on these) ---
    def with_state(self, state: SceneState) -> "Scene":
        """A new scene showing `state`; the current state goes on the undo history."""
        if state == self.state:
            return self
        history = (*self.history, self.state)[-HISTORY_LIMIT:]
        return Scene(self.version + 1, state, history, ())

    def undo(self) -> "Scene":
        if not self.history:
            return self
        return Scene(self.version + 1, self.history[-1], self.history[:-1], (*self.future, self.state))

    def redo(self) -> "Scene":
        if not self.future:
            return self
        return Scene(self.version + 1, self.future[-1], (*self.history, self.state), self.future[:-1])

    def edit(self, **changes: Any) -> "Scene":
        return self.with_state(replace(self.state, **changes))

    # --- text prompt for the generative renderer ---
    def prompt(self, catalog: "Catalog") -> str:
        held, worn, beside = [], [], []
        for prop in self.props:
            entry = catalog.prop(prop.kind)
            if entry is None:
                continue
            phrase = _describe(entry.prompt, prop)
            if prop.anchor in ("right_hand", "left_hand"):
                held.append(phrase)
            elif prop.anchor == "around":
                beside.append(f"{_plural(phrase)} all around")
            elif prop.anchor in ("next_to", "behind") or (entry.library and prop.anchor in _WHERE):
                # A library object is not worn: "a cat on their head", "a T-Rex beside them".
                beside.append(f"{phrase} {_WHERE[prop.anchor]}")
            elif prop.anchor == "beside":
                beside.append(phrase)
            else:
                worn.append(phrase)
        parts = ["a person"]
        if held:
            parts.append("holding " + _join(held))
        if worn:
            parts.append(("and wearing " if held else "wearing ") + _join(worn))
        if beside:
            parts.append("with " + _join(beside))
        things = [e for e in self.extras if not e.startswith("in ")]
        places = [e for e in self.extras if e.startswith("in ")]  # "in ancient rome": a setting
        if things:
            parts.append("with " + _join(things))
        text = " ".join(parts)
        if places:
            text += ", " + ", ".join(places)
        if self.theme and self.theme in catalog.themes:
            text += ", " + catalog.themes[self.theme].prompt
        if self.style and self.style in catalog.styles:
            text += ", " + catalog.styles[self.style].prompt
        return text

    # --- JSON ---
    def to_dict(self, *, history: bool = True) -> dict[str, Any]:
        d = {"format": SCENE_FORMAT, "version": self.version, **self.state.to_dict()}
        if history:
            d["history"] = [s.to_dict() for s in self.history]
            d["future"] = [s.to_dict() for s in self.future]
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Scene":
        if d.get("format", SCENE_FORMAT) != SCENE_FORMAT:
            raise ValueError(f"scene format {d.get('format')!r} is not {SCENE_FORMAT}")
        return cls(
            version=int(d.get("version", 0)),
            state=SceneState.from_dict(d),
            history=tuple(SceneState.from_dict(s) for s in d.get("history", ())),
            future=tuple(SceneState.from_dict(s) for s in d.get("future", ())),
        )

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    @classmethod
    def from_json(cls, text: str) -> "Scene":
        return cls.from_dict(json.loads(text))


# Where a thing is, for the prompt, when it is not held or worn.
_WHERE = {"head": "on their head", "face": "on their face", "neck": "around their neck",
          "shoulders": "on their shoulders", "waist": "at their waist", "feet": "at their feet", "back": "on their back",
          "beside": "on their shoulder", "next_to": "beside them", "behind": "behind them"}


def _plural(phrase: str) -> str:
    """'a blue balloon' → 'blue balloons' (copies all around)."""
    from world.objects import plural

    article, _, rest = phrase.partition(" ")
    bare = rest if article.lower() in ("a", "an") else phrase
    return plural(bare) or bare


def _size_word(scale: float) -> str | None:
    if scale >= 2.0:
        return "huge"
    if scale >= 1.3:
        return "large"
    if scale <= 0.5:
        return "tiny"
    if scale <= 0.8:
        return "small"
    return None


def _describe(phrase: str, prop: Prop) -> str:
    """'a sword' + large + blue → 'a large blue sword'."""
    words = [w for w in (_size_word(prop.scale), prop.color, prop.material) if w]
    if not words:
        return phrase
    article, _, rest = phrase.partition(" ")
    if article.lower() in ("a", "an"):
        adjectives = " ".join(words)
        article = "an" if adjectives[0] in "aeiou" else "a"
        return f"{article} {adjectives} {rest}"
    return " ".join(words) + " " + phrase


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
