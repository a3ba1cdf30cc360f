"""The word error rate the speech figures are measured with."""
import pytest

from speech.wer import word_error_rate, word_errors


@pytest.mark.parametrize("reference, hypothesis, edits", [
    ("give me a sword", "Give me a sword.", 0),           # case and punctuation do not count
    ("give me a sword", "give me sword", 1),              # deletion
    ("make it blue", "make it look blue", 1),             # insertion
    ("give me a lightsaber", "give me a life saber", 2),  # substitution + insertion
    ("undo", "", 1),
    ("", "thank you", 2),
    ("put me in game of thrones", "port me in game on thrones", 2),
])
def test_word_errors_count_edits_between_word_sequences(reference, hypothesis, edits):
    assert word_errors(reference, hypothesis) == (edits, len(reference.split()))


def test_word_error_rate_weighs_phrases_by_their_words():
    assert word_error_rate([("give me a sword", "give me a sword"), ("undo", "and do")]) == pytest.approx(2 / 5)
    assert word_error_rate([]) == 0.0
