"""Build the object library from an open emoji art set: `python -m tools.objects.build`.

At build time only (npm and the registry must be reachable; nothing is fetched at install or run
time), it packs two npm packages:
  @iconify-json/fluent-emoji-flat   Microsoft's Fluent Emoji, flat style, as one JSON file of SVG
                                    bodies on a 32×32 view box (MIT)
  emojibase-data                    each emoji's CLDR name, keywords and Unicode subgroup (MIT)
keeps the emoji that are things (tools/objects/selection.toml: no faces, people, hands, symbols,
flags or skin-tone variants, nothing a hand-made prop or a theme already means) and writes the
project's own data:
  world/catalog/objects.json                 per thing: id, name, emoji, category, prompt phrase,
                                             synonyms (ours) and keywords (CLDR's, the telling ones)
  world/catalog/objects_meaning.npz          the MiniLM vectors of those names, for the meaning match
  mirror/render/composite/art/objects.json   the SVG bodies, by id
  world/catalog/NOTICE.md, mirror/render/composite/art/NOTICE.md   licences, packages, versions
`--from DIR` reads the packages already unpacked (DIR/fluent/package, DIR/emojibase/package).
"""
from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tarfile
import tempfile
import tomllib
import unicodedata
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SELECTION = Path(__file__).parent / "selection.toml"
CATEGORIES = ROOT / "world" / "catalog" / "object_categories.toml"
OBJECTS_OUT = ROOT / "world" / "catalog" / "objects.json"
ART_OUT = ROOT / "mirror" / "render" / "composite" / "art" / "objects.json"
ART_PACKAGE = ("@iconify-json/fluent-emoji-flat", "1.2.6")
KEYWORD_PACKAGE = ("emojibase-data", "17.0.0")
# A keyword that several things share says nothing about which one is meant.
KEYWORD_MAX_USERS = 1
KEYWORD_SIMILARITY = 0.45  # cosine, MiniLM: "crow" → black bird 0.60 is kept, "squirrel" → chipmunk 0.44 is not


@dataclass(frozen=True)
class Thing:
    id: str
    name: str
    emoji: str
    category: str
    prompt: str
    synonyms: tuple[str, ...]
    tags: tuple[str, ...]
    body: str
    height: int


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--from", dest="source", type=Path, help="unpacked packages (DIR/fluent, DIR/emojibase)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        source = args.source or _fetch(Path(tmp))
        things, left_out = select(source / "fluent" / "package", source / "emojibase" / "package")
        art_info = json.loads((source / "fluent" / "package" / "info.json").read_text())
        emojibase_licence = (source / "emojibase" / "package" / "LICENSE").read_text()
    _write(things, art_info, emojibase_licence)
    _write_meaning_vectors()
    by_category: dict[str, int] = {}
    for thing in things:
        by_category[thing.category] = by_category.get(thing.category, 0) + 1
    print(f"{len(things)} things: " + ", ".join(f"{c} {n}" for c, n in sorted(by_category.items())))
    print(f"left out as a hand-made prop, theme or style already means them: {', '.join(left_out)}")
    print(f"{OBJECTS_OUT.relative_to(ROOT)}: {OBJECTS_OUT.stat().st_size / 1e3:.0f} kB; "
          f"{ART_OUT.relative_to(ROOT)}: {ART_OUT.stat().st_size / 1e6:.2f} MB")
    return 0


def _fetch(tmp: Path) -> Path:
    for folder, (package, version) in (("fluent", ART_PACKAGE), ("emojibase", KEYWORD_PACKAGE)):
        out = subprocess.run(["npm", "pack", f"{package}@{version}", "--pack-destination", str(tmp)],
                             check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]
        with tarfile.open(tmp / out) as tar:
            tar.extractall(tmp / folder, filter="data")
    return tmp


def select(fluent: Path, emojibase: Path) -> tuple[list[Thing], list[str]]:
    """The things of the art set, and the names left out because the catalog already means them."""
    from world.catalog import Catalog
    from world.phrases import normalise

    rules = tomllib.loads(SELECTION.read_text())
    categories = set(tomllib.loads(CATEGORIES.read_text()))
    icons_file = json.loads((fluent / "icons.json").read_text())
    icons, view_height = icons_file["icons"], int(icons_file.get("height", 32))
    chars = json.loads((fluent / "chars.json").read_text())  # codepoints → icon name
    emoji_data = json.loads((emojibase / "en" / "data.json").read_text())
    subgroups = json.loads((emojibase / "meta" / "groups.json").read_text())["subgroups"]

    by_code = {_code(e["hexcode"]): e for e in emoji_data}  # base emoji only: skin tones are left out
    code_of: dict[str, str] = {}
    for code, name in chars.items():
        code_of.setdefault(name, _code(code))
    listed = {name: category for category, names in rules["categories"].items() for name in names}
    unknown = sorted((set(listed.values()) | set(rules["subgroups"].values())) - categories)
    if unknown:
        raise SystemExit(f"categories not in {CATEGORIES.name}: {unknown}")
    drop = set(rules["drop"]["names"])
    stop = set(rules["keywords"]["stop"])
    catalog = Catalog.load()
    # What the hand-made props, themes and styles already mean: a sword stays the mirror's own sword.
    taken = {normalise(p) for entries in (catalog.props, catalog.themes, catalog.styles)
             for e in entries.values() for p in (*e.synonyms, *e.names)}

    things: list[Thing] = []
    left_out: list[str] = []
    for name, icon in icons.items():
        entry = by_code.get(code_of.get(name, ""))
        if entry is None or icon.get("hidden") or name in drop or name.endswith(tuple(rules["drop"]["suffixes"])):
            continue
        category = listed.get(name) or rules["subgroups"].get(subgroups[str(entry["subgroup"])])
        if category is None:
            continue
        label = _ascii(entry["label"])
        if normalise(label) in taken:
            left_out.append(label)
            continue
        things.append(Thing(
            id=name.replace("-", "_"), name=label, emoji=entry["emoji"], category=category, prompt=_article(label),
            synonyms=tuple(_ascii(s) for s in rules["synonyms"].get(name, ())),
            tags=tuple(_ascii(t) for t in entry.get("tags", ())), body=icon["body"],
            height=int(icon.get("height", view_height)),
        ))
    missing = sorted(set(listed) - {t.id.replace("_", "-") for t in things} - {_dash(n) for n in left_out})
    missing += sorted(set(rules["synonyms"]) - {t.id.replace("_", "-") for t in things})
    if missing:
        print(f"named in {SELECTION.name} but not in the set (or left out): {', '.join(missing)}", file=sys.stderr)
    return _with_keywords(things, stop), left_out


def _with_keywords(things: list[Thing], stop: set[str]) -> list[Thing]:
    """Each thing's telling keywords: CLDR tags that name it and nothing else. A tag is kept when
    no other thing has it, it is a word of no thing's name or synonym (those already match), it is
    no stop word, and by meaning (MiniLM) it is nearer this thing than any other and at least
    KEYWORD_SIMILARITY near: "hurricane" stays with the cyclone, "waiting" leaves the alarm clock."""
    import numpy as np

    from world.embedding import Embedder
    from world.phrases import normalise

    named = {w for t in things for p in (t.name, *t.synonyms) for w in normalise(p).split()}
    users: dict[str, int] = {}
    for thing in things:
        for tag in {normalise(t) for t in thing.tags}:
            users[tag] = users.get(tag, 0) + 1
    candidates = [(i, tag) for i, thing in enumerate(things) for tag in sorted({normalise(t) for t in thing.tags})
                  if tag.isalpha() and len(tag) >= 3 and tag not in stop and tag not in named
                  and users[tag] <= KEYWORD_MAX_USERS]
    embedder = Embedder.load()
    names = embedder.embed([t.name for t in things])
    similarity = embedder.embed([tag for _, tag in candidates]) @ names.T  # (candidates, things)
    kept: dict[int, list[str]] = {}
    for row, (i, tag) in enumerate(candidates):
        if int(np.argmax(similarity[row])) == i and similarity[row, i] >= KEYWORD_SIMILARITY:
            kept.setdefault(i, []).append(tag)
    return [Thing(**{**thing.__dict__, "tags": tuple(kept.get(i, ()))}) for i, thing in enumerate(things)]


def _write(things: list[Thing], art_info: dict, emojibase_licence: str) -> None:
    art_package, art_version = ART_PACKAGE
    keyword_package, keyword_version = KEYWORD_PACKAGE
    source = {
        "art": {"package": art_package, "version": art_version, "set": art_info["name"],
                "author": art_info["author"]["name"], "license": art_info["license"]["spdx"],
                "url": art_info["author"]["url"]},
        "keywords": {"package": keyword_package, "version": keyword_version, "license": "MIT",
                     "derived_from": "Unicode CLDR annotations (Unicode License v3)"},
        "built_by": "tools/objects/build.py",
    }
    rows = [json.dumps({"id": t.id, "name": t.name, "emoji": t.emoji, "category": t.category, "prompt": t.prompt,
                        "synonyms": list(t.synonyms), "keywords": list(t.tags)}, ensure_ascii=False)
            for t in things]
    OBJECTS_OUT.write_text('{"format": 1,\n"source": ' + json.dumps(source) + ',\n"objects": [\n'
                           + ",\n".join(rows) + "\n]}\n", encoding="utf-8")
    art_rows = [json.dumps(t.id) + ": " + json.dumps(t.body) for t in things]
    heights = {t.id: t.height for t in things if t.height != 32}
    ART_OUT.write_text('{"format": 1,\n"source": ' + json.dumps(source["art"]) + ',\n"view_box": [0, 0, 32, 32],\n'
                       '"heights": ' + json.dumps(heights) + ',\n"bodies": {\n' + ",\n".join(art_rows) + "\n}}\n",
                       encoding="utf-8")
    (ART_OUT.parent / "NOTICE.md").write_text(_ART_NOTICE.format(package=art_package, version=art_version),
                                             encoding="utf-8")
    (OBJECTS_OUT.parent / "NOTICE.md").write_text(
        _KEYWORD_NOTICE.format(package=keyword_package, version=keyword_version, art_package=art_package,
                               art_version=art_version, licence=emojibase_licence.strip()), encoding="utf-8")


def _write_meaning_vectors() -> None:
    """The vectors world.objects.meaning_vectors reads instead of embedding ~1,300 phrases at start."""
    import numpy as np

    from world.catalog import CATALOG_DIR, Catalog
    from world.embedding import Embedder
    from world.objects import MEANING_FILE, meaning_phrases

    texts = [p for p, _ in meaning_phrases(Catalog.load().objects)]
    vectors = Embedder.load().embed(texts).astype(np.float16)  # half the bytes; cosines to ~1e-3
    np.savez_compressed(CATALOG_DIR / MEANING_FILE, phrases=np.array(texts), vectors=vectors)


def _code(hexcode: str) -> str:
    """Codepoints as one key: lower case, without the emoji presentation selector FE0F."""
    return "-".join(p for p in hexcode.lower().split("-") if p != "fe0f")


def _ascii(text: str) -> str:
    """'piñata' → 'pinata', 'woman’s hat' → "woman's hat": what the interpreter can match."""
    text = text.replace("’", "'")
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def _dash(label: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")


def _article(label: str) -> str:
    """The prompt phrase: 'a T-Rex', 'an x-ray', 'books' (a plural takes none)."""
    low = label.lower()
    if low.endswith("s") and not low.endswith(("ss", "us", "is")):
        return label
    vowel = low[0] in "aeiou" and not low.startswith(("uni", "use", "eu", "ewe", "one"))
    return ("an " if vowel or low.startswith(("x-", "hour")) else "a ") + label


_ART_NOTICE = """# The object library's art

`objects.json` here holds SVG bodies from **Fluent Emoji** (flat style) by Microsoft Corporation,
<https://github.com/microsoft/fluentui-emoji>, as packaged for npm by Iconify in
`{package}` version {version}, under the MIT License below. Rebuilt by
`tools/objects/build.py`; the selection of things is the mirror's (`tools/objects/selection.toml`).

```
MIT License

Copyright (c) Microsoft Corporation.

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
```
"""

_KEYWORD_NOTICE = """# The object library's names and keywords

`objects.json` here lists the things the mirror can draw from its art set (`{art_package}`
{art_version}: Fluent Emoji by Microsoft Corporation, MIT; the art and its licence are in
`mirror/render/composite/art/`). Each thing's name, emoji, Unicode subgroup and keywords come from
`{package}` version {version} (MIT, below), whose English names and keywords are the Unicode
CLDR annotations (© Unicode, Inc., Unicode License v3, <https://www.unicode.org/license.txt>).
The categories, synonyms and prompt phrases are the mirror's own. Rebuilt by
`tools/objects/build.py`.

```
{licence}
```
"""


if __name__ == "__main__":
    sys.exit(main())
