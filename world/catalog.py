"""The scene catalog: the props, themes, styles and colours the mirror knows, read from TOML data,
and the object library (world/objects.py): some 800 more things, each a PropEntry with a category.

Ids are stable and shared with the renderers: a prop's id is its SVG asset id, a theme's id is the
composite backdrop id, a style names a composite filter and optionally a neural preset. A library
object's asset is "objects/<id>", its art in the composite's object art file.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from world.objects import ObjectCategory

CATALOG_DIR = Path(__file__).parent / "catalog"
# beside: on the left shoulder (a parrot); next_to: standing beside the person; behind: one, large,
# behind the person; around: a few copies scattered in the background.
ANCHORS = ("right_hand", "left_hand", "head", "face", "neck", "back", "shoulders", "waist", "feet", "beside",
           "next_to", "behind", "around")
LAYERS = ("front", "behind")
# Library things people ask a mirror for first, as they say them: the ones whisper's prompt may name.
PROMPT_OBJECTS = ("dinosaur", "cat", "pizza", "ice cream", "balloon", "pumpkin", "dog", "trophy")


class CatalogError(ValueError):
    """The catalog data is inconsistent; the message names the file and the entry."""


@dataclass(frozen=True)
class PropEntry:
    id: str
    name: str
    synonyms: tuple[str, ...]
    anchor: str
    prompt: str
    asset: str
    size: float  # drawn height in shoulder widths at scale 1.0
    layer: str  # "front" or "behind" the person
    names: tuple[str, ...] = ()  # proper names that mean it ("excalibur"): see ThemeEntry.names
    category: str | None = None  # the object library's category; None for a hand-made prop
    keywords: tuple[str, ...] = ()  # a library object's telling CLDR keywords: matched by meaning only

    @property
    def library(self) -> bool:
        return self.category is not None


@dataclass(frozen=True)
class ThemeEntry:
    id: str
    name: str
    synonyms: tuple[str, ...]
    prompt: str
    backdrop: str
    # Proper names that mean this theme: films, places, characters ("tatooine" → desert). Matched
    # like synonyms; the page is told the name was read as this theme.
    names: tuple[str, ...] = ()


@dataclass(frozen=True)
class StyleEntry:
    id: str
    name: str
    synonyms: tuple[str, ...]
    prompt: str
    filter: str  # composite filter id
    neural: str | None  # neural preset id, or None when only the filter exists
    names: tuple[str, ...] = ()  # painters, works, films in this look ("hokusai" → ukiyo-e)


@dataclass(frozen=True)
class Catalog:
    props: dict[str, PropEntry]
    themes: dict[str, ThemeEntry]
    styles: dict[str, StyleEntry]
    colors: dict[str, tuple[int, int, int]]
    color_synonyms: dict[str, str]
    # The object library (world/objects.py): read after the hand-made props, which keep priority.
    objects: dict[str, PropEntry] = field(default_factory=dict)
    object_categories: dict[str, "ObjectCategory"] = field(default_factory=dict)

    def prop(self, kind: str) -> PropEntry | None:
        """A hand-made prop or a library object by id."""
        return self.props.get(kind) or self.objects.get(kind)

    @classmethod
    def load(cls, directory: Path = CATALOG_DIR) -> "Catalog":
        def read(name: str) -> dict:
            path = directory / name
            try:
                with open(path, "rb") as f:
                    return tomllib.load(f)
            except FileNotFoundError:
                raise CatalogError(f"catalog file missing: {path}") from None
            except tomllib.TOMLDecodeError as exc:
                raise CatalogError(f"{path}: {exc}") from None

        props = {k: _prop(k, v) for k, v in read("props.toml").items()}
        themes = {
            k: ThemeEntry(k, v["name"], _synonyms(v), v["prompt"], v.get("backdrop", k), _names(v))
            for k, v in read("themes.toml").items()
        }
        styles = {
            k: StyleEntry(k, v["name"], _synonyms(v), v["prompt"], v["filter"], v.get("neural"), _names(v))
            for k, v in read("styles.toml").items()
        }
        colors_file = read("colors.toml")
        colors = {k: tuple(int(c) for c in v) for k, v in colors_file["colors"].items()}
        color_synonyms = dict(colors_file.get("synonyms", {}))
        from world import objects as library

        objects, categories = library.load(directory)
        catalog = cls(props, themes, styles, colors, color_synonyms, objects, categories)  # type: ignore[arg-type]
        catalog.validate()
        return catalog

    def validate(self) -> None:
        filters = set(self.styles)
        for style in self.styles.values():
            if style.filter not in filters:
                raise CatalogError(f"style {style.id}: filter {style.filter!r} is not a style id")
        for name, target in self.color_synonyms.items():
            if target not in self.colors:
                raise CatalogError(f"colour synonym {name!r} → unknown colour {target!r}")
        for color, rgb in self.colors.items():
            if len(rgb) != 3 or not all(0 <= c <= 255 for c in rgb):
                raise CatalogError(f"colour {color}: {rgb} is not an RGB triple")
        clash = sorted(self.objects.keys() & self.props.keys())
        if clash:
            raise CatalogError(f"library objects {clash} have the ids of hand-made props")
        # One phrase, one thing: the interpreter would silently take whichever it read first.
        owner: dict[str, str] = {name: f"colour {name}" for name in (*self.colors, *self.color_synonyms)}
        for group, entries in (("prop", self.props), ("theme", self.themes), ("style", self.styles)):
            for entry in entries.values():
                for phrase in (*entry.synonyms, *entry.names):
                    key = " ".join(phrase.lower().replace("'", "").replace("-", " ").split())
                    other = owner.setdefault(key, f"{group} {entry.id}")
                    if other != f"{group} {entry.id}":
                        raise CatalogError(f"{group} {entry.id}: {phrase!r} already names {other}")

    def color_rgb(self, name: str | None) -> tuple[int, int, int] | None:
        if name is None:
            return None
        return self.colors.get(self.color_synonyms.get(name, name))

    def speech_prompt(self, objects: int = 0) -> str:
        """Example commands built from the catalog, given to whisper as its prompt.

        Whisper continues the style of its prompt: command sentences naming the catalog's things
        cut the word error rate on spoken commands from ~25 % (a plain word list) to ~3 %
        (tests/speech/test_transcriber.py prints it). Whisper reads only the last ~220 tokens of a
        prompt, so the props are capped; every theme and style is named, and a correction is
        phrased as people say it (on the spoken tuning set, tools/bench/speech_tuning.py, this
        understood 28 of 36 commands where the props/themes/styles/colours-only prompt got 26).
        `objects`: how many of PROMPT_OBJECTS (library things) to name after the props; the server
        names none. Measured on the same audio (the spoken held-out, tuning and library sets) heard
        under both prompts, eight names bought one library command of 26 and cost one hand-made
        command of 84: whisper then hears prompt words where none were said ("I said a shield" →
        "Ice cream, a shield", "a scarf" → "a pizza").
        """
        props = ", a ".join([e.name for e in list(self.props.values())[:12]] + list(PROMPT_OBJECTS[:objects]))
        themes = ", ".join(e.name for e in self.themes.values())
        styles = ", ".join(e.name for e in self.styles.values())
        return (f"Give me a {props}. Put me in {themes}. Make it look like {styles}. Make it red, blue, green, gold. "
                "Bigger. Smaller. Undo. Redo. No, not a sword, a wand. I meant blue. No crown. Start over.")


def _synonyms(entry: dict) -> tuple[str, ...]:
    names = [entry["name"].lower(), *(s.lower() for s in entry.get("synonyms", ()))]
    return tuple(dict.fromkeys(names))


def _names(entry: dict) -> tuple[str, ...]:
    return tuple(dict.fromkeys(n.lower() for n in entry.get("names", ())))


def _prop(key: str, v: dict) -> PropEntry:
    if v["anchor"] not in ANCHORS:
        raise CatalogError(f"prop {key}: anchor {v['anchor']!r} is not one of {ANCHORS}")
    if v.get("layer", "front") not in LAYERS:
        raise CatalogError(f"prop {key}: layer must be one of {LAYERS}")
    return PropEntry(
        id=key, name=v["name"], synonyms=_synonyms(v), anchor=v["anchor"], prompt=v["prompt"],
        asset=v.get("asset", key), size=float(v["size"]), layer=v.get("layer", "front"), names=_names(v),
    )
