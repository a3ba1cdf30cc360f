"""The spoken tuning set for issue 21's recognition work: what the whisper prompt, the n-best
rescoring and the phonetic matching were tuned on (never the held-out set, speech_heldout.py).

Names, corrections and one-word commands as in the held-out set, but other sentences, other names,
the tuning voices (tests/speech_audio.py: en-us, en-gb, en-us+m3, en-us+f3, en-gb-x-rp) and white
noise only. Format as the held-out set: (typed before, spoken, props, theme, style).
"""
from __future__ import annotations

TUNING: list[tuple[tuple[str, ...], str, tuple[str, ...], "str | None", "str | None"]] = [
    ((), "make it look like Degas", (), None, "impressionist"),
    ((), "paint me like Caravaggio", (), None, "oil_painting"),
    ((), "make me look like Klimt", (), None, "mosaic"),
    ((), "make it look like Utamaro", (), None, "ukiyo_e"),
    ((), "do me like Andy Warhol", (), None, "comic"),
    ((), "make it look like Zelda", (), None, "pixel_art"),
    ((), "take me to Arrakis", (), "desert", None),
    ((), "put me in Camelot", (), "game_of_thrones", None),
    ((), "take me to Lapland", (), "snowy_forest", None),
    ((), "send me to Pompeii", (), "volcano", None),
    ((), "take me to Bali", (), "beach", None),
    ((), "put me in Transylvania", (), "haunted_house", None),
    ((), "take me to the Little Mermaid", (), "underwater", None),
    ((), "put me in the Matrix", (), "cyberpunk", None),
    (("give me a crown",), "undo", (), None, None),
    (("give me a crown", "undo"), "redo", ("crown",), None, None),
    (("give me a wand",), "bigger", ("wand",), None, None),
    (("give me a wand",), "smaller", ("wand",), None, None),
    (("give me a wand", "put me in the jungle"), "reset", (), None, None),
    (("give me a cape",), "no", (), None, None),
    (("give me a cape", "make it red"), "nope", ("cape",), None, None),
    (("give me a shield",), "green", ("green shield",), None, None),
    (("give me a shield",), "huge", ("shield",), None, None),
    (("give me a crown",), "blue", ("blue crown",), None, None),
    (("give me a crown",), "no, not a crown, a halo", ("halo",), None, None),
    (("give me a cape", "make it blue"), "I meant green", ("green cape",), None, None),
    (("take me to the desert",), "not the desert, the jungle", (), "jungle", None),
    (("give me a sword", "give me a crown"), "no sword", ("crown",), None, None),
    (("give me a wand",), "I said a shield", ("shield",), None, None),
    (("give me a sword",), "actually, a cape", ("cape",), None, None),
    (("give me a sword", "put me in space"), "clear everything", (), None, None),
    (("give me a sword",), "start fresh", (), None, None),
    ((), "give me a helmet and a shield", ("helmet", "shield"), None, None),
    ((), "I want cat ears", ("cat_ears",), None, None),
    (("give me a guitar",), "make the guitar gold", ("gold guitar",), None, None),
    ((), "take me to the haunted house", (), "haunted_house", None),
]
