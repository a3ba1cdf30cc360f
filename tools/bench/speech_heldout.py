"""The held-out spoken set for `mirror bench speech`: what is said, to whom, over what noise.

Written 2026-12-04, BEFORE issue 21's recognition work (n-best rescoring, phonetic matching, the
grammar of commands) existed and before whisper was run on any of it. Kept apart from what the
speech path is tuned on (tests/speech_audio.py's COMMANDS, the bench's PHRASES, the catalog's
speech prompt): other sentences, other espeak-ng voices, and noise of kinds the tuning set never
has (the tuning set uses white noise only). The audio is synthesised when the bench runs; no audio
file is committed.

Each case: (typed before, spoken, props, theme, style) -- the scene after the spoken command, in
the format of world_heldout_dialogues.py (props "kind" or "colour kind", colour checked exactly).
The spoken text is also the reference for the word error rate.
"""
from __future__ import annotations

SPOKEN: list[tuple[tuple[str, ...], str, tuple[str, ...], "str | None", "str | None"]] = [
    # painters and places by name
    ((), "paint me like Hokusai", (), None, "ukiyo_e"),
    ((), "make me look like a Monet", (), None, "impressionist"),
    ((), "do me in the style of Rembrandt", (), None, "oil_painting"),
    ((), "make it look like Van Gogh", (), None, "van_gogh"),
    ((), "take me to Elsa's castle", (), "ice_palace", None),
    ((), "send me to Tatooine", (), "desert", None),
    ((), "put me in Jurassic Park", (), "jungle", None),
    ((), "take me to Hawaii", (), "beach", None),
    ((), "send me to Winterfell", (), "game_of_thrones", None),
    ((), "put me in Narnia", (), "snowy_forest", None),
    ((), "take me to Mordor", (), "volcano", None),
    ((), "put me in Blade Runner", (), "cyberpunk", None),
    # one-word commands
    (("give me a sword",), "undo", (), None, None),
    (("give me a crown",), "bigger", ("crown",), None, None),
    (("give me a shield",), "smaller", ("shield",), None, None),
    (("give me a sword", "put me in space"), "reset", (), None, None),
    (("give me a sword", "undo"), "redo", ("sword",), None, None),
    (("give me a cape",), "purple", ("purple cape",), None, None),
    (("give me a crown",), "gold", ("gold crown",), None, None),
    (("give me a wand", "make it pink"), "undo", ("wand",), None, None),
    # corrections and negation
    (("give me a sword",), "no, not a sword, a wand", ("wand",), None, None),
    (("give me a sword", "make it red"), "I meant blue", ("blue sword",), None, None),
    (("give me a crown",), "no, I said a helmet", ("helmet",), None, None),
    (("take me to the beach",), "not the beach, the desert", (), "desert", None),
    (("give me a crown", "give me a cape"), "no cape", ("crown",), None, None),
    (("give me a sword",), "actually, a lightsaber", ("lightsaber",), None, None),
    (("make it look like anime",), "sorry, I meant comic book", (), None, "comic"),
    # everyday requests in other words
    ((), "can I have a crown please", ("crown",), None, None),
    ((), "I'd like some angel wings", ("wings",), None, None),
    ((), "give me a pair of sunglasses", ("sunglasses",), None, None),
    ((), "hand me a shield", ("shield",), None, None),
    ((), "I want a top hat", ("top_hat",), None, None),
    ((), "give me a bow tie", ("bow_tie",), None, None),
    ((), "let me hold a torch", ("torch",), None, None),
    ((), "give me a necklace", ("necklace",), None, None),
    (("give me a sword",), "make the sword green", ("green sword",), None, None),
    (("give me a crown",), "turn it silver", ("silver crown",), None, None),
    (("give me a helmet",), "take the helmet off", (), None, None),
    (("give me a sword", "give me a crown"), "clear it all", (), None, None),
    ((), "put me in a snowy forest", (), "snowy_forest", None),
    ((), "take me to a volcano", (), "volcano", None),
    ((), "put me in candy land", (), "candy_land", None),
    ((), "make it look like a watercolor", (), None, "watercolor"),
    ((), "turn me into pixel art", (), None, "pixel_art"),
    ((), "make it black and white", (), None, "film_noir"),
    ((), "give me a guitar and a scarf", ("guitar", "scarf"), None, None),
    ((), "put me in space and give me a helmet", ("helmet",), "outer_space", None),
    (("make it look like anime",), "back to normal", (), None, None),
]

# Voices the tuning set never uses (it has en-us, en-gb, en-us+m3, en-us+f3, en-gb-x-rp), at speeds
# from slow to quick; `condition(i)` says who speaks case i over what.
VOICES = ("en-gb-scotland", "en-us-nyc", "en-029", "en-gb-x-gbcwmd", "en-us+f2", "en-gb-x-gbclan+m5")
SPEEDS = (120, 145, 165, 185, 205)
SPEAKERS = tuple((voice, SPEEDS[i % len(SPEEDS)]) for i, voice in enumerate(VOICES))

# Noise a kiosk hears, made with sox when the bench runs: (name, sox synth arguments or "babble",
# signal-to-noise ratio in dB). "babble" is other people talking: several espeak-ng voices reading
# unrelated sentences at once, mixed by sox. Silero VAD hears babble as speech at any level up to
# ~25 dB below the speaker when it is near (an utterance then never ends: an end-pointing problem,
# not this set's), so the crowd is across the room: muffled, reverberant, 22 dB down.
NOISES = (
    ("fan (brown noise)", "brownnoise", 15),
    ("hall (pink noise)", "pinknoise", 15),
    ("crowd across the room (babble)", "babble", 22),
    ("hum (mains + harmonics)", "hum", 20),
)
BABBLE = (
    "The weather was lovely at the seaside last weekend and we stayed until the sun went down.",
    "Could you pass me the menu? I think I will have the soup and a glass of water.",
    "Our train leaves at half past nine so we should probably get going soon.",
    "She said the museum opens late on Thursdays, which is when it is quietest.",
)


def condition(i: int) -> tuple[str, int, tuple[str, str, int]]:
    """(voice, words per minute, noise) for case i: the speakers rotate case by case, the noise
    block by block, so over the 48 cases every speaker meets every noise twice."""
    voice, speed = SPEAKERS[i % len(SPEAKERS)]
    return voice, speed, NOISES[(i // len(SPEAKERS)) % len(NOISES)]
