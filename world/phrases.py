"""What the catalog's things are called, and finding them in what was said.

Every synonym of every prop, theme and style, and every colour word, normalised into one table
(phrase → group and id). A clause's mentions are found longest phrase first, so "haunted castle"
is one theme and not a castle; exact matches first, then fuzzy ones for whisper's misspellings
("sord", "wizzard hat").
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from world.catalog import Catalog

_NUMBER_WORDS = {"one": "1", "two": "2", "three": "3", "four": "4", "five": "5"}
# Words too common to be fuzzily matched to a catalog phrase ("make" is not "mask").
COMMON_WORDS = {"make", "give", "want", "with", "look", "like", "take", "more", "less", "have", "that", "this",
                "those", "them", "then", "into", "onto", "from", "what", "where", "there", "here", "cool", "nice",
                "great", "wow", "hello", "thanks", "thank", "please", "just", "really", "very", "some", "also",
                "turn", "change", "paint", "remove", "away", "bigger", "smaller", "huge", "tiny", "back", "hand",
                "head", "face", "neck", "feet", "waist", "right", "left", "next", "hold", "holding", "wear",
                "wearing", "love", "okay", "good", "yeah", "maybe", "think", "could", "would", "should", "does"}


@dataclass(frozen=True)
class Mention:
    group: str  # "prop", "theme", "style", "color"
    id: str
    start: int  # word offsets in the clause
    end: int


class Phrases:
    """The catalog's phrase table and the mention search over it."""

    def __init__(self, catalog: Catalog) -> None:
        self.table: dict[str, tuple[str, str]] = {}  # phrase → (group, id)
        for group, entries in (("prop", catalog.props), ("theme", catalog.themes), ("style", catalog.styles)):
            for entry in entries.values():
                for synonym in entry.synonyms:
                    self.table.setdefault(normalise(synonym), (group, entry.id))
        for color in catalog.colors:
            self.table.setdefault(color, ("color", color))
        for word, color in catalog.color_synonyms.items():
            self.table.setdefault(word, ("color", color))
        self._max_words = max(len(p.split()) for p in self.table)
        self._fuzzy_words = sorted({p for p in self.table if len(p) >= 4})
        # Multi-word phrases that contain "and" ("black and white"): clause splitting must keep them whole.
        self.and_phrases = [p for p in self.table if " and " in p]

    def mentions(self, clause: str) -> list[Mention]:
        words = clause.split()
        found: list[Mention] = []
        taken = [False] * len(words)
        for n in range(min(self._max_words, len(words)), 0, -1):
            for i in range(len(words) - n + 1):
                if any(taken[i:i + n]):
                    continue
                phrase = " ".join(words[i:i + n])
                hit = self.table.get(phrase)
                if hit is None and n == 1 and len(phrase) >= 4 and phrase not in COMMON_WORDS:
                    close = difflib.get_close_matches(phrase, self._fuzzy_words, n=1, cutoff=0.84)
                    hit = self.table[close[0]] if close else None
                if hit is None and n >= 2:
                    close = difflib.get_close_matches(phrase, [p for p in self.table if len(p.split()) == n],
                                                      n=1, cutoff=0.92)
                    hit = self.table[close[0]] if close else None
                if hit is not None:
                    found.append(Mention(hit[0], hit[1], i, i + n))
                    taken[i:i + n] = [True] * n
        return sorted(found, key=lambda m: m.start)


def normalise(text: str) -> str:
    # Possessives join their word ("king's landing" → "kings landing", the catalog's spelling);
    # other apostrophes split ("don't" → "don t").
    text = re.sub(r"['’]s\b", "s", text.lower())
    text = text.replace("'", " ").replace("’", " ").replace("-", " ")
    text = re.sub(r"[^a-z0-9& ]+", " ", text)
    words = [_NUMBER_WORDS.get(w, w) for w in text.split()]
    return " ".join(words)[:500]


def phrase_in(text: str, phrases: tuple[str, ...]) -> bool:
    return any(re.search(rf"\b{re.escape(p)}\b", text) for p in phrases)
