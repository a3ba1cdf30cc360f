"""Held-out dialogues, round 2 (issue 21), for `mirror bench world`'s accuracy figure.

Written 2026-12-04 in one sitting, BEFORE any of issue 21's interpreter work (corrections, terse
negation, names, the most specific name winning, resets, free-text extras) existed, and before the
interpreter was run on any of them. They are phrased as people talk at a kiosk: fillers, names of
painters, films and places, corrections, one-word commands. None of them is in the test tables
(tests/world/) or in round 1 (world_heldout.py). They are not tuned against: a miss is
printed by the bench and stays a miss; an expectation is only changed if it was written wrong
(say so in the commit).

Each case: (said before, said now, props, theme, style, extras).
- props: the scene's props in order, each "kind" or "colour kind" (colour checked exactly: a
  prop written without one must have none);
- theme, style: catalog ids or None;
- extras: the free-text extras exactly, or None to leave them unchecked.
"""
from __future__ import annotations

Case = tuple[tuple[str, ...], str, tuple[str, ...], "str | None", "str | None", "tuple[str, ...] | None"]

DIALOGUES: list[Case] = [
    # --- painters and artists → styles ---
    ((), "make me look like a Monet", (), None, "impressionist", None),
    ((), "paint me like Hokusai", (), None, "ukiyo_e", None),
    ((), "can you do me in the style of Rembrandt", (), None, "oil_painting", None),
    ((), "I want to look like a Van Gogh painting", (), None, "van_gogh", None),
    ((), "make it like a Monet painting", (), None, "impressionist", None),
    ((), "do me like Renoir would", (), None, "impressionist", None),
    ((), "Hokusai style please", (), None, "ukiyo_e", None),
    ((), "make it look like Studio Ghibli", (), None, "anime", None),
    ((), "paint me like the Mona Lisa", (), None, "oil_painting", None),
    ((), "like a Roy Lichtenstein comic", (), None, "comic", None),
    ((), "Andy Warhol pop art please", (), None, "comic", None),
    ((), "make it look like Miyazaki drew it", (), None, "anime", None),
    ((), "do the Starry Night thing", (), None, "van_gogh", None),
    ((), "make me look like a Vermeer", (), None, "oil_painting", None),
    (("give me a crown",), "now make it look like Hiroshige", ("crown",), None, "ukiyo_e", None),
    # --- films, places and characters → themes ---
    ((), "take me to Elsa's ice castle", (), "ice_palace", None, None),
    ((), "put me in Arendelle", (), "ice_palace", None, None),
    ((), "take me to Tatooine", (), "desert", None, None),
    ((), "send me to Dracula's castle", (), "haunted_house", None, None),
    ((), "I want to be in Finding Nemo", (), "underwater", None, None),
    ((), "put me in Jurassic Park", (), "jungle", None, None),
    ((), "take me to Hawaii", (), "beach", None, None),
    ((), "take me to Mordor", (), "volcano", None, None),
    ((), "put me in Willy Wonka's chocolate factory", (), "candy_land", None, None),
    ((), "send me to Winterfell", (), "game_of_thrones", None, None),
    ((), "put me in Blade Runner", (), "cyberpunk", None, None),
    ((), "take me to Narnia", (), "snowy_forest", None, None),
    ((), "take me to Santa's workshop at the North Pole", (), "snowy_forest", None, None),
    ((), "put me on the Death Star", (), "outer_space", None, None),
    ((), "take me to Bikini Bottom", (), "underwater", None, None),
    ((), "put me in the Sahara desert", (), "desert", None, None),
    ((), "take me to King's Landing", (), "game_of_thrones", None, None),
    ((), "I wanna go to the Maldives", (), "beach", None, None),
    ((), "take me to Mount Doom", (), "volcano", None, None),
    ((), "put me in a spooky graveyard", (), "haunted_house", None, None),
    ((), "send me to the Amazon rainforest", (), "jungle", None, None),
    ((), "put me in Tokyo at night", (), "cyberpunk", None, None),
    ((), "put me on the moon", (), "outer_space", None, None),
    # --- the most specific name wins over a shorter one inside it ---
    ((), "put me in a haunted castle", (), "haunted_house", None, None),
    ((), "make it a van gogh style painting", (), None, "van_gogh", None),
    ((), "put me in a neon city", (), "cyberpunk", None, None),
    ((), "give me a wizard staff", ("magic_staff",), None, None, None),
    ((), "make it look like a stained glass window", (), None, "mosaic", None),
    ((), "make it an impressionist painting", (), None, "impressionist", None),
    ((), "put me in an ice castle", (), "ice_palace", None, None),
    ((), "give me a witch hat", ("wizard_hat",), None, None, None),
    ((), "take me to a tropical beach", (), "beach", None, None),
    # --- corrections ---
    (("give me a sword",), "no, not a sword, a wand", ("wand",), None, None, None),
    (("make it red",), "I meant blue", (), None, None, None),
    (("give me a sword", "make it red"), "I meant blue", ("blue sword",), None, None, None),
    (("give me a sword", "make it red"), "no, blue", ("blue sword",), None, None, None),
    (("give me a crown",), "no I said a helmet", ("helmet",), None, None, None),
    (("take me to the beach",), "not the beach, the desert", (), "desert", None, None),
    (("make it look like anime",), "sorry I meant comic book", (), None, "comic", None),
    (("give me a sword",), "no wait, a shield", ("shield",), None, None, None),
    (("give me a red cape",), "I meant a green one", ("green cape",), None, None, None),
    (("give me a sword", "give me a crown"), "no, not a crown, a halo", ("sword", "halo"), None, None, None),
    (("put me in space",), "no, I meant underwater", (), "underwater", None, None),
    (("give me a top hat",), "actually make it a wizard hat", ("wizard_hat",), None, None, None),
    (("give me a sword",), "actually, a lightsaber", ("lightsaber",), None, None, None),
    (("give me a blue sword",), "no, I said red", ("red sword",), None, None, None),
    (("make it look like watercolor",), "no, oil painting", (), None, "oil_painting", None),
    (("give me a sword", "make it bigger"), "I meant smaller", ("sword",), None, None, None),
    # --- terse negation ---
    (("give me a sword",), "no sword", (), None, None, None),
    (("give me a crown", "give me a cape"), "no cape", ("crown",), None, None, None),
    (("give me sunglasses",), "no glasses", (), None, None, None),
    (("give me a sword", "give me a crown"), "no crown please", ("sword",), None, None, None),
    (("put me in space", "make it anime"), "no anime", (), "outer_space", None, None),
    (("give me a parrot",), "no", (), None, None, None),
    (("give me a sword", "make it blue"), "nope", ("sword",), None, None, None),
    # --- one-word commands ---
    (("give me a sword",), "undo", (), None, None, None),
    (("give me a sword", "undo"), "redo", ("sword",), None, None, None),
    (("give me a crown",), "bigger", ("crown",), None, None, None),
    (("give me a crown",), "gold", ("gold crown",), None, None, None),
    (("give me a sword", "put me in space"), "reset", (), None, None, None),
    (("give me a cape",), "purple", ("purple cape",), None, None, None),
    (("give me a sword",), "smaller", ("sword",), None, None, None),
    (("give me a wand", "make it pink"), "undo", ("wand",), None, None, None),
    (("give me a sword",), "Undo.", (), None, None, None),
    (("give me a sword",), "Bigger!", ("sword",), None, None, None),
    (("give me a halo",), "huge", ("halo",), None, None, None),
    # --- resets, however said ---
    (("give me a sword", "put me in space"), "clear it all", (), None, None, None),
    (("give me a sword", "give me a crown"), "clear everything please", (), None, None, None),
    (("give me a sword", "make it look like anime"), "let's start fresh", (), None, None, None),
    (("give me a sword", "give me a cape"), "get rid of everything", (), None, None, None),
    (("give me a crown", "put me in the jungle"), "wipe it all", (), None, None, None),
    (("give me wings",), "okay start over", (), None, None, None),
    # --- what the catalog cannot draw: kept as free text, the rest still done ---
    # Issue 31's object library draws the next five; before it they went to the prompt as free text
    # (extras ("palm trees",), ("a dragon",), ("a dragon",), ("a pirate ship",), ("a unicorn",)),
    # which was right then.
    ((), "take me somewhere tropical with palm trees", ("palm_tree",), "beach", None, ()),
    ((), "give me a dragon", ("dragon",), None, None, ()),
    ((), "give me a sword and a dragon", ("sword", "dragon"), None, None, ()),
    ((), "put me under the sea with a pirate ship", ("ship",), "underwater", None, ()),
    ((), "I want a unicorn", ("unicorn",), None, None, ()),
    ((), "take me to ancient rome", (), None, None, ("in ancient rome",)),
    # --- everyday dialogue ---
    (("give me a sword", "make it blue"), "and a shield too", ("blue sword", "shield"), None, None, None),
    (("give me a wizard hat",), "and a wand", ("wizard_hat", "wand"), None, None, None),
    ((), "um can I have a crown and a cape please", ("crown", "cape"), None, None, None),
    ((), "okay so give me some sunglasses", ("sunglasses",), None, None, None),
    (("give me a sword",), "make the sword really big", ("sword",), None, None, None),
    (("give me a crown", "give me a sword"), "make the crown blue", ("blue crown", "sword"), None, None, None),
    (("give me a sword",), "can it be gold", ("gold sword",), None, None, None),
    (("put me in the desert",), "take me somewhere cold instead", (), "snowy_forest", None, None),
    (("give me a sword",), "put it in my left hand", ("sword",), None, None, None),
    (("give me a lightsaber",), "make it green", ("green lightsaber",), None, None, None),
    ((), "give me a pirate parrot", ("parrot",), None, None, None),
    ((), "put me in space and make me a pencil sketch", (), "outer_space", "pencil_sketch", None),
    (("make it look like anime",), "back to normal", (), None, None, None),
    (("put me in the jungle",), "remove the background", (), None, None, None),
    # --- things that should change nothing ---
    ((), "no thanks", (), None, None, None),
    (("give me a sword",), "that's perfect", ("sword",), None, None, None),
    (("give me a sword",), "no that's fine", ("sword",), None, None, None),
    (("give me a crown",), "I love it", ("crown",), None, None, None),
    ((), "is this thing on", (), None, None, None),
    ((), "what can you do", (), None, None, None),
    (("give me a sword",), "oh no", ("sword",), None, None, None),
    ((), "don't put me in space", (), None, None, None),
]
