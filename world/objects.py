"""The object library: some 800 things the mirror can draw beside its 25 hand-made props.

Built from an open emoji art set (Fluent Emoji flat, MIT) by tools/objects/build.py:
catalog/objects.json holds each thing's name, synonyms, keywords and category; its art is the
composite's (mirror/render/composite/art/objects.json); licences are in the NOTICE.md beside each.
A category (catalog/object_categories.toml) says where a thing goes when nobody says where, and
how tall it is drawn there. Each thing is a PropEntry, so every edit (size, colour, remove, undo,
corrections, the prompt) works on it as on a hand-made prop; the hand-made props, themes, styles
and colours keep priority over its names (world/phrases.py reads the library's phrases last).
"""
from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from world.catalog import ANCHORS, CATALOG_DIR, CatalogError, PropEntry

LIBRARY_FILE = "objects.json"
CATEGORIES_FILE = "object_categories.toml"
# The meaning match's phrase vectors (MiniLM), built with the library: embedding ~1,300 phrases
# takes 1.5 s on a quiet 2-core machine and over 10 s on a busy one, at every start.
MEANING_FILE = "objects_meaning.npz"
ASSET_PREFIX = "objects/"  # a library object's asset id: "objects/t_rex"
LIBRARY_FORMAT = 1
# Drawn height, in shoulder widths, of a thing put where its category does not put it: a dinosaur
# on the head is hat-sized, a cup behind the person is a backdrop.
SIZE_AT = {"right_hand": 0.7, "left_hand": 0.7, "head": 0.8, "face": 0.55, "neck": 0.5, "shoulders": 1.4,
           "waist": 1.0, "feet": 0.7, "back": 1.6, "beside": 0.7, "next_to": 1.5, "behind": 2.8, "around": 0.6}
# Anchors whose art is drawn behind the person.
BEHIND = ("behind", "around", "back")
# Plurals English does not make with an "s".
_IRREGULAR = {"mouse": "mice", "goose": "geese", "ox": "oxen", "foot": "feet", "tooth": "teeth", "man": "men",
              "woman": "women", "child": "children", "sheep": "sheep", "fish": "fish", "deer": "deer",
              "moose": "moose", "bison": "bison", "sushi": "sushi", "shrimp": "shrimp", "squid": "squid",
              "elf": "elves", "wolf": "wolves", "knife": "knives", "leaf": "leaves", "loaf": "loaves",
              "scarf": "scarves", "cactus": "cacti", "octopus": "octopuses", "person": "people"}


@dataclass(frozen=True)
class ObjectCategory:
    id: str
    anchor: str  # where its things go when nobody says where
    size: float  # drawn height there, in shoulder widths


def load(directory: Path) -> tuple[dict[str, PropEntry], dict[str, ObjectCategory]]:
    """The library's objects by id and its categories; empty when the directory has no library
    (a catalog of hand-made props alone)."""
    path, categories_path = directory / LIBRARY_FILE, directory / CATEGORIES_FILE
    if not path.exists() or not categories_path.exists():
        return {}, {}
    with open(categories_path, "rb") as f:
        categories = {k: ObjectCategory(k, v["anchor"], float(v["size"])) for k, v in tomllib.load(f).items()}
    for category in categories.values():
        if category.anchor not in ANCHORS:
            raise CatalogError(f"{categories_path}: category {category.id}: anchor {category.anchor!r} is not one of {ANCHORS}")
    data = json.loads(path.read_text(encoding="utf-8"))
    if data.get("format") != LIBRARY_FORMAT:
        raise CatalogError(f"{path}: format {data.get('format')!r} is not {LIBRARY_FORMAT}")
    objects = {}
    for row in data["objects"]:
        category = categories.get(row["category"])
        if category is None:
            raise CatalogError(f"{path}: object {row['id']}: no category {row['category']!r} in {CATEGORIES_FILE}")
        objects[row["id"]] = entry(row, category)
    return objects, categories


def entry(row: dict, category: ObjectCategory) -> PropEntry:
    """One library object as a prop: its names are its CLDR name, the art set's name ("t rex"),
    our synonyms, and the plurals of all of them."""
    said = dict.fromkeys(s.lower() for s in (row["name"], row["id"].replace("_", " "), *row["synonyms"]))
    said.update(dict.fromkeys(p for s in list(said) if (p := plural(s)) is not None))
    return PropEntry(
        id=row["id"], name=row["name"], synonyms=tuple(said), anchor=category.anchor, prompt=row["prompt"],
        asset=ASSET_PREFIX + row["id"], size=category.size, layer="behind" if category.anchor in BEHIND else "front",
        category=category.id, keywords=tuple(row.get("keywords", ())),
    )


def plural(phrase: str) -> str | None:
    """The plural of a name ("ice cream cone" → "ice cream cones", "fairy" → "fairies"), or None
    when it already reads as one ("books", "fries")."""
    words = phrase.split()
    if not words:
        return None
    last = words[-1]
    if last in _IRREGULAR:
        plural_word = _IRREGULAR[last]
    elif last.endswith("s") and not last.endswith(("ss", "us")):
        return None
    elif last.endswith(("s", "x", "z", "ch", "sh")):
        plural_word = last + "es"
    elif last.endswith("y") and len(last) > 1 and last[-2] not in "aeiou":
        plural_word = last[:-1] + "ies"
    else:
        plural_word = last + "s"
    return " ".join([*words[:-1], plural_word]) if plural_word != last else None


def singular(entry: PropEntry) -> tuple[str, ...]:
    """A library object's phrases without the plurals made of them."""
    plurals = {plural(s) for s in entry.synonyms}
    return tuple(s for s in entry.synonyms if s not in plurals)


def meaning_phrases(objects: dict[str, PropEntry]) -> list[tuple[str, str]]:
    """(phrase, object id), sorted: what a thing asked for is compared with by meaning. Each
    object's name, our synonyms and its telling keywords, without plurals (MiniLM reads "cats" as
    "cat")."""
    from world.phrases import normalise

    return sorted({(normalise(p), e.id) for e in objects.values() for p in (*singular(e), *e.keywords)})


def meaning_vectors(phrases: list[tuple[str, str]], embedder: Any, path: Path = CATALOG_DIR / MEANING_FILE) -> np.ndarray:
    """(N, 384) float32 unit vectors of `phrases`: read from the file built with the library when
    it holds these phrases and this model still embeds them so (two are checked), else embedded."""
    texts = [p for p, _ in phrases]
    if path.exists() and texts:
        with np.load(path, allow_pickle=False) as saved:
            stored, vectors = list(saved["phrases"]), saved["vectors"].astype(np.float32)
        if stored == texts:
            probe = [0, len(texts) - 1]
            fresh = embedder.embed([texts[i] for i in probe])
            if np.all(np.sum(fresh * vectors[probe], axis=1) > 0.999):
                return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    return embedder.embed(texts)


def size_at(entry: PropEntry, anchor: str) -> float:
    """How tall a prop is drawn at `anchor`, in shoulder widths: a hand-made prop always its own
    size; a library object its category's where the category puts it, else the anchor's."""
    if not entry.library or anchor == entry.anchor:
        return entry.size
    return SIZE_AT.get(anchor, entry.size)
