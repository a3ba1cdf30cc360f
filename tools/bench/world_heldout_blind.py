"""Held-out dialogues, round 3 (issue 21): the blind check.

Why a third round: round 2 (world_heldout_dialogues.py) was written before the work, but the same
engineer then designed corrections, names and resets with its cases in view, so its 100 % is not a
blind figure. These 64 were written on 2026-12-04 after the interpreter work and before the
recognition work, in other words than round 2, and were not run until all of issue 21's
interpreter and catalog changes were done: the first run's figure is the one reported, misses
included. Format as round 2: (said before, said now, props, theme, style, extras).

First run (2026-12-04, at commit 3366293): 62/64 (96.9 %). Missed: "can you make me look like
something Monet painted" (→ oil painting: "painted" won the tie with "monet") and "make both of
them gold" (→ only the crown). Both families were fixed afterwards (e3b2253), so from then on this
round is no longer blind either.
"""
from __future__ import annotations

from tools.bench.world_heldout_dialogues import Case

BLIND: list[Case] = [
    # names
    ((), "can you make me look like something Monet painted", (), None, "impressionist", None),
    ((), "I'd like to be in a Hokusai print", (), None, "ukiyo_e", None),
    ((), "Rembrandt please", (), None, "oil_painting", None),
    ((), "paint me in the style of Vermeer", (), None, "oil_painting", None),
    ((), "turn me into a Lichtenstein", (), None, "comic", None),
    ((), "make the picture look like Zelda", (), None, "pixel_art", None),
    ((), "give it a Ghibli look", (), None, "anime", None),
    ((), "put me in the Sahara", (), "desert", None, None),
    ((), "I want to go to Hawaii", (), "beach", None, None),
    ((), "take me to Frozen", (), "ice_palace", None, None),
    ((), "let's visit Transylvania", (), "haunted_house", None, None),
    ((), "beam me to the Death Star", (), "outer_space", None, None),
    ((), "I wanna be at Bora Bora", (), "beach", None, None),
    ((), "drop me in the middle of Jurassic World", (), "jungle", None, None),
    ((), "put me in Cairo", (), "desert", None, None),
    ((), "put me in Dracula's house", (), "haunted_house", None, None),
    ((), "take me to Elsa's palace", (), "ice_palace", None, None),
    ((), "take me to the castle from Frozen", (), "ice_palace", None, None),
    ((), "a medieval castle please", (), "game_of_thrones", None, None),
    ((), "put me in a haunted mansion", (), "haunted_house", None, None),
    # corrections
    (("give me a crown",), "no, not the crown, the tiara", ("crown",), None, None, None),
    (("give me a red sword",), "sorry, blue", ("blue sword",), None, None, None),
    (("give me a sword",), "no no, the shield", ("shield",), None, None, None),
    (("put me in the jungle",), "I said beach", (), "beach", None, None),
    (("make it look like a pencil sketch",), "I meant pixel art", (), None, "pixel_art", None),
    (("give me a wand",), "not a wand, a staff", ("magic_staff",), None, None, None),
    (("give me a blue cape",), "make that red", ("red cape",), None, None, None),
    (("give me a top hat",), "actually I meant a crown", ("crown",), None, None, None),
    (("give me a sword", "give me a shield"), "no, I meant a helmet", ("sword", "helmet"), None, None, None),
    (("take me to the desert",), "no, the beach", (), "beach", None, None),
    (("give me a crown", "make it gold"), "I meant silver", ("silver crown",), None, None, None),
    # terse negation and "no"
    (("give me a cape", "give me wings"), "no wings", ("cape",), None, None, None),
    (("put me in space",), "no space", (), None, None, None),
    (("give me a mask",), "no mask thanks", (), None, None, None),
    (("give me a sword", "make it blue"), "no", ("sword",), None, None, None),
    (("give me a halo",), "nah", (), None, None, None),
    # one word
    (("give me a sword",), "larger", ("sword",), None, None, None),
    (("give me a crown",), "teal", ("teal crown",), None, None, None),
    (("give me a sword", "make it red"), "undo", ("sword",), None, None, None),
    (("give me a crown",), "silver", ("silver crown",), None, None, None),
    (("give me a sword", "undo"), "redo", ("sword",), None, None, None),
    # resets
    (("give me a sword", "put me in space"), "clear all of it", (), None, None, None),
    (("give me a crown",), "let's start again from the beginning", (), None, None, None),
    (("give me a sword", "make it look like anime"), "wipe everything", (), None, None, None),
    # what it cannot draw
    # Issue 31's object library draws it; before it, free text for the prompt (extras ("a pet dog",)).
    ((), "give me a pet dog", ("dog",), None, None, ()),
    ((), "take me to a beach with a lighthouse", (), "beach", None, ("a lighthouse",)),
    ((), "give me a crown and a magic carpet", ("crown",), None, None, ("a magic carpet",)),
    # Issue 31: drawn; before it, extras ("a rocket ship",).
    ((), "put me in space with a rocket ship", ("rocket",), "outer_space", None, ()),
    # everyday
    (("give me a sword",), "and a crown as well", ("sword", "crown"), None, None, None),
    ((), "could I get a wizard hat and a magic wand please", ("wizard_hat", "wand"), None, None, None),
    (("give me a guitar",), "make the guitar red", ("red guitar",), None, None, None),
    (("give me a sword",), "switch it to my left hand", ("sword",), None, None, None),
    ((), "I'd love to be underwater", (), "underwater", None, None),
    (("give me a helmet",), "take it off", (), None, None, None),
    ((), "put a halo over my head", ("halo",), None, None, None),
    (("put me in the desert", "make it anime"), "go back to normal", (), "desert", None, None),
    # nothing to do
    ((), "hello mirror", (), None, None, None),
    ((), "who made you", (), None, None, None),
    (("give me a crown",), "no that looks great", ("crown",), None, None, None),
    ((), "I'm not sure", (), None, None, None),
    (("give me a sword",), "ha that's funny", ("sword",), None, None, None),
    (("give me a shield",), "wow", ("shield",), None, None, None),
    ((), "can you see me", (), None, None, None),
    (("give me a sword", "give me a crown"), "make both of them gold", ("gold sword", "gold crown"), None, None, None),
]
