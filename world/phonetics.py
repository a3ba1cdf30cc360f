"""How words sound, roughly: to compare what whisper wrote with what the mirror knows.

Whisper spells a name it does not know as words that sound like it ("take me tomorrow
lord" for "take me to Mordor", "glimmed" for "Klimt", "I do" for "undo"). `spell` turns English
spelling into a string of sound classes, so those pairs come out close:
- consonants by sound, voicing merged (b/p, d/t, g/k, v/f, z/s: noise and accents blur it),
  digraphs as one sound (th, sh, ch, ph, ck, qu), a soft c or g as s or j, silent h and doubled
  letters dropped;
- every run of vowels is one "a" (whisper's vowels are the least reliable part of a name);
- words run together ("to mordor" and "tomorrow" share their sounds across the word boundary).
`Sounds` finds, for one spelling, the nearest of many (the catalog's phrases) with a weighted
edit distance computed for all of them at once in numpy: vowels cost half to insert or drop,
m/n and r/l half to swap.
"""
from __future__ import annotations

import re

import numpy as np

_RULES = (  # applied in order, on lower-case letters
    (r"^kn|^gn|^pn", "n"), (r"^wr", "r"), (r"mb\b", "m"), (r"tch", "ch"), (r"dge", "j"), (r"ph", "f"),
    (r"gh", ""), (r"ck", "k"), (r"sh|ch|sch", "X"), (r"th", "T"), (r"qu", "kw"), (r"wh", "w"), (r"x", "ks"),
    (r"c(?=[eiy])", "s"), (r"g(?=[eiy])", "j"), (r"h", ""),
    (r"(?<=[aeiouy][^aeiouy])e$", ""),  # a silent final e: "side" sounds like "sighed"
)
_CLASSES = {"b": "P", "p": "P", "d": "T", "t": "T", "T": "T", "g": "K", "k": "K", "c": "K", "q": "K", "v": "F",
            "f": "F", "z": "S", "s": "S", "j": "X", "X": "X", "m": "M", "n": "N", "l": "L", "r": "R", "w": "W"}
_VOWELS = set("aeiouy")
SYMBOLS = "APTKFSXMNLRWY"
_INDEX = {s: i for i, s in enumerate(SYMBOLS)}
# Edit costs between sound classes: vowels are cheap to drop or insert, close sounds cheap to swap.
_INDEL = np.array([0.5 if s == "A" else 1.0 for s in SYMBOLS])
_SUB = np.ones((len(SYMBOLS), len(SYMBOLS)))
np.fill_diagonal(_SUB, 0.0)
for a, b in (("M", "N"), ("R", "L"), ("W", "A"), ("Y", "A"), ("F", "P"), ("S", "X")):
    _SUB[_INDEX[a], _INDEX[b]] = _SUB[_INDEX[b], _INDEX[a]] = 0.5


def spell(text: str) -> str:
    """'take me to Mordor' → 'TAKMATAMARTAR'."""
    out = []
    for word in re.sub(r"[^a-z ]", "", text.lower()).split():
        for pattern, sound in _RULES:
            word = re.sub(pattern, sound, word)
        for i, ch in enumerate(word):
            if ch in _VOWELS:
                # "y" or "w" before a vowel at a word's start is a consonant ("yes", "wand").
                sound = "Y" if ch == "y" and i == 0 and word[1:2] in _VOWELS else "A"
            else:
                sound = _CLASSES.get(ch, "")
                if sound == "W" and word[i + 1:i + 2] not in _VOWELS:
                    sound = "A"  # "w" after a vowel is part of it: "saw", "bow"
            if sound and not (out and out[-1] == sound):
                out.append(sound)
    return "".join(out)


def weight(spelling: str) -> float:
    """A spelling's length in edit-cost units (vowels count half)."""
    return sum(_INDEL[_INDEX[s]] for s in spelling)


class Sounds:
    """Many phrases' spellings, searched together for the nearest to one spelling."""

    def __init__(self, phrases: list[str]) -> None:
        self.phrases = list(phrases)
        spellings = [spell(p) for p in self.phrases]
        self._lengths = np.array([len(s) for s in spellings])
        self._weights = np.array([weight(s) for s in spellings])
        width = max(self._lengths.max(initial=0), 1)
        codes = np.full((len(spellings), width), 0)
        for row, s in enumerate(spellings):
            codes[row, :len(s)] = [_INDEX[c] for c in s]
        # Costs that do not depend on the query, computed once: inserting each phrase sound (0 in
        # the padding, so a cell past a phrase's end never costs more), and the cumulative inserts
        # along each phrase; substituting each possible query sound for each phrase sound.
        # Laid out phrase-minor, (W, N): numpy's running minimum is ~2x faster along the long axis.
        insert = _INDEL[codes].T.astype(np.float32)  # (W, N)
        insert[np.arange(width)[:, None] >= self._lengths[None, :]] = 0.0
        self._inserted = np.concatenate([np.zeros((1, len(spellings)), np.float32), np.cumsum(insert, axis=0)])
        self._substitute = _SUB[:, codes.T].astype(np.float32)  # (symbols, W, N)

    def similarities(self, spelling: str) -> np.ndarray:
        """(N,) similarity of `spelling` to every phrase: 1 - weighted edit distance / the longer's
        weight, so 1.0 is the same sound and ~0.7 a near miss."""
        codes = [_INDEX[c] for c in spelling]
        n = len(self.phrases)
        if not codes or not n:
            return np.zeros(n)
        inserted = self._inserted  # (W+1, N)
        previous = inserted
        for code in codes:
            # Row of the edit-distance table for one more query sound. Without insertions each cell
            # is the best of substitute and drop; an insertion run from cell k to j adds
            # inserted[j] - inserted[k], so the row is a running minimum in "inserted" units.
            best = previous + np.float32(_INDEL[code])
            np.minimum(best[1:], previous[:-1] + self._substitute[code], out=best[1:])
            previous = inserted + np.minimum.accumulate(best - inserted, axis=0)
        distance = previous[self._lengths, np.arange(n)]
        return 1.0 - distance / np.maximum(np.maximum(self._weights, weight(spelling)), 1e-6)
