"""Word error rate: how the speech path's accuracy is measured (tests and `mirror bench speech`)."""
from __future__ import annotations

from typing import Iterable


def words(text: str) -> list[str]:
    """Lower-case words with punctuation dropped: "Make it blue." and "make it blue" are equal."""
    return "".join(c if c.isalnum() or c == " " else " " for c in text.lower()).split()


def word_errors(reference: str, hypothesis: str) -> tuple[int, int]:
    """(word edits, reference words): the Levenshtein distance over words (substitutions, deletions
    and insertions each count one)."""
    ref, hyp = words(reference), words(hypothesis)
    row = list(range(len(hyp) + 1))  # distances from the empty reference prefix
    for i, r in enumerate(ref, 1):
        prev, row[0] = row[0], i
        for j, h in enumerate(hyp, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (r != h))
    return row[-1], len(ref)


def word_error_rate(pairs: Iterable[tuple[str, str]]) -> float:
    """WER over a set of (reference, hypothesis): all edits over all reference words, so long
    phrases weigh more than short ones, as in the usual corpus-level WER."""
    edits = total = 0
    for reference, hypothesis in pairs:
        e, n = word_errors(reference, hypothesis)
        edits, total = edits + e, total + n
    return edits / total if total else 0.0
