"""What the catalog's things are called, and finding them in what was said.

Every synonym and name of every prop, theme and style, and every colour word, normalised into one
table (phrase → group and id). A clause's mentions are found longest phrase first, so "haunted
castle" is one theme and not a castle; exact matches first (a possessive also as its name:
"dracula's" → "dracula"), then fuzzy ones for whisper's misspellings ("sord", "wizzard hat").
When a clause names two themes or two styles, the most specific one is meant
(`Phrases.specificity`): "a Van Gogh painting" is Van Gogh, "Elsa's castle" the ice palace.
The object library's names (world/objects.py) come last, so a phrase that names a hand-made prop,
a theme, a style or a colour keeps meaning it ("a sword" is the mirror's own sword), and they are
matched exactly only: ~2,500 everyday words would make whisper's misspellings of the catalog's
few hundred phrases match the wrong thing ("sord" is the sword, not a cord).
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


# Relative sizes by the word for them ("make it bigger"); products for several ("bigger, bigger").
SIZE_WORDS = {
    "bigger": 1.5, "larger": 1.5, "big": 1.5, "large": 1.5, "longer": 1.5, "taller": 1.5,
    "huge": 2.0, "giant": 2.0, "enormous": 2.0, "massive": 2.0, "gigantic": 2.0,
    "smaller": 0.67, "small": 0.67, "shorter": 0.67, "little": 0.67,
    "tiny": 0.5, "mini": 0.5, "teeny": 0.5,
}


@dataclass(frozen=True)
class Mention:
    group: str  # "prop", "theme", "style", "color"
    id: str
    start: int  # word offsets in the clause
    end: int
    phrase: str = ""  # the catalog phrase matched
    name: bool = False  # the phrase is a proper name of the thing ("tatooine"), not what it is called


class Phrases:
    """The catalog's phrase table and the mention search over it."""

    def __init__(self, catalog: Catalog) -> None:
        self.table: dict[str, tuple[str, str]] = {}  # phrase → (group, id)
        self.names: set[str] = set()
        for group, entries in (("prop", catalog.props), ("theme", catalog.themes), ("style", catalog.styles)):
            for entry in entries.values():
                for synonym in entry.synonyms:
                    self.table.setdefault(normalise(synonym), (group, entry.id))
                for name in entry.names:
                    if self.table.setdefault(normalise(name), (group, entry.id)) == (group, entry.id):
                        self.names.add(normalise(name))
        for color in catalog.colors:
            self.table.setdefault(color, ("color", color))
        for word, color in catalog.color_synonyms.items():
            self.table.setdefault(word, ("color", color))
        catalog_phrases = list(self.table)
        self._fuzzy_words = sorted({p for p in catalog_phrases if len(p) >= 4})
        self._fuzzy_phrases: dict[int, list[str]] = {}
        for phrase in catalog_phrases:
            self._fuzzy_phrases.setdefault(len(phrase.split()), []).append(phrase)
        # The library's names, after everything else: each phrase keeps its first owner.
        self.library: dict[str, str] = {}  # phrase → object id, every library phrase (also those taken)
        for entry in catalog.objects.values():
            for synonym in entry.synonyms:
                phrase = normalise(synonym)
                self.library.setdefault(phrase, entry.id)
                self.table.setdefault(phrase, ("prop", entry.id))
        self._max_words = max(len(p.split()) for p in self.table)
        # Multi-word phrases that contain "and" ("black and white"): clause splitting must keep them whole.
        self.and_phrases = [p for p in self.table if " and " in p]
        # How many other themes (styles, props) use each word: "castle" names three themes, "elsa" one.
        users: dict[tuple[str, str], set[str]] = {}
        for phrase in catalog_phrases:
            group, entry = self.table[phrase]
            for word in phrase.split():
                users.setdefault((group, word), set()).add(entry)
        self._others = {key: len(entries) - 1 for key, entries in users.items()}

    def specificity(self, mention: Mention) -> tuple[int, bool, int]:
        """Which of two mentions of one group is meant: the longer phrase, then a proper name
        ("something Monet painted" is Monet's), then the one whose words fewer other entries share
        ("painting" is said of five styles, "monet" of one)."""
        words = mention.phrase.split()
        shared = min(self._others.get((mention.group, w), 0) for w in words) if words else 0
        return len(words), mention.name, -shared

    def most_specific(self, mentions: list[Mention]) -> Mention:
        """The most specific mention; among equals the last said (a later word corrects an earlier one)."""
        return max(reversed(mentions), key=self.specificity)

    def mentions(self, clause: str) -> list[Mention]:
        words = clause.split()
        found: list[Mention] = []
        taken = [False] * len(words)
        for n in range(min(self._max_words, len(words)), 0, -1):
            for i in range(len(words) - n + 1):
                if any(taken[i:i + n]):
                    continue
                said = " ".join(words[i:i + n])
                phrase = self._exact(said)
                if phrase is None and n == 1 and len(said) >= 4 and said not in COMMON_WORDS:
                    close = difflib.get_close_matches(said, self._fuzzy_words, n=1, cutoff=0.84)
                    phrase = close[0] if close else None
                if phrase is None and n >= 2:
                    close = difflib.get_close_matches(said, self._fuzzy_phrases.get(n, []), n=1, cutoff=0.92)
                    phrase = close[0] if close else None
                if phrase is not None:
                    group, entry = self.table[phrase]
                    found.append(Mention(group, entry, i, i + n, phrase, phrase in self.names))
                    taken[i:i + n] = [True] * n
        return sorted(found, key=lambda m: m.start)

    def _exact(self, said: str) -> str | None:
        if said in self.table:
            return said
        # "dracula's castle" is normalised to "draculas castle": try the name without its "s".
        if said.endswith("s") and said[:-1] in self.table and len(said) >= 5:
            return said[:-1]
        return None


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
