"""Held-out utterances for `mirror bench world`'s accuracy figure.

Written once, before the interpreter was run on them, as things people might say at the mirror that
the test tables (tests/world/test_interpreter.py) do not contain; they are not tuned against. Each
case: commands said before, the utterance, and what the scene must then hold (prop kinds in order,
theme, style; None = none). A miss here is a fact about the interpreter, not a test failure.
"""
from __future__ import annotations

HELD_OUT: list[tuple[tuple[str, ...], str, tuple[str, ...], str | None, str | None]] = [
    # adding, said in other ways
    ((), "could you give me a sword please", ("sword",), None, None),
    ((), "I wanna hold a sword", ("sword",), None, None),
    ((), "let me hold a magic wand", ("wand",), None, None),
    ((), "put a crown on my head", ("crown",), None, None),
    ((), "I'd love some angel wings", ("wings",), None, None),
    ((), "can I get a top hat", ("top_hat",), None, None),
    ((), "give me a shield and a helmet", ("shield", "helmet"), None, None),
    ((), "I want to wear a cape", ("cape",), None, None),
    ((), "how about a wizard hat", ("wizard_hat",), None, None),
    ((), "give me cool shades", ("sunglasses",), None, None),
    ((), "give me a king's crown", ("crown",), None, None),
    ((), "gimme a bow tie", ("bow_tie",), None, None),
    # changing what is there
    (("give me a sword",), "make the sword gold", ("sword",), None, None),
    (("give me a crown",), "can you make it a bit bigger", ("crown",), None, None),
    (("give me a cape",), "change the cape to purple", ("cape",), None, None),
    (("give me a sword", "give me a crown"), "make the crown smaller", ("sword", "crown"), None, None),
    # removing
    (("give me a sword",), "lose the sword", (), None, None),
    (("give me a sword", "give me a crown"), "get rid of the crown", ("sword",), None, None),
    (("give me a helmet",), "take that helmet off", (), None, None),
    (("give me a sword", "give me a cape"), "clear it all", (), None, None),
    # places
    ((), "beam me up to outer space", (), "outer_space", None),
    ((), "I want to be under the ocean", (), "underwater", None),
    ((), "send me to a spooky haunted mansion", (), "haunted_house", None),
    # Issue 31's object library draws the palm trees; before it they went to the prompt (props ()).
    ((), "take me somewhere tropical with palm trees", ("palm_tree",), "beach", None),
    ((), "put me in a land made of sweets", (), "candy_land", None),
    ((), "let's go to the sahara", (), "desert", None),
    ((), "put me in a futuristic neon city", (), "cyberpunk", None),
    ((), "take me to elsa's castle", (), "ice_palace", None),
    ((), "put me next to lava", (), "volcano", None),
    ((), "take me to a winter forest", (), "snowy_forest", None),
    # looks
    ((), "make me look like a cartoon", (), None, "anime"),
    ((), "turn it into a pencil drawing", (), None, "pencil_sketch"),
    ((), "make everything black and white like an old movie", (), None, "film_noir"),
    ((), "make it look like a video game from the eighties", (), None, "pixel_art"),
    ((), "paint me like van gogh", (), None, "van_gogh"),
    # dialogue words
    (("give me a sword", "make it blue"), "undo that", ("sword",), None, None),
    (("give me a sword",), "let's start again", (), None, None),
    # nothing to do
    ((), "what time is it", (), None, None),
    ((), "this is so cool", (), None, None),
    ((), "my mom is over there", (), None, None),
    ((), "I don't want a sword", (), None, None),
]
