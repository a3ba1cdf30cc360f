"""Spoken object-library commands (issue 31), to choose whisper's prompt: does naming a few library
things in it help whisper hear them? `python -m tools.bench.speech_objects [--prompt-objects N,M]`.

Each command is spoken by espeak-ng in the tuning voices over white noise at 20 dB (as
speech_tuning.py), pushed through a Listener in real time and understood by the recogniser, once
per prompt: the catalog's prompt as it is (`Catalog.speech_prompt`), and with N library names in
it, for each N asked. The held-out and tuning sets of `mirror bench speech` say whether a prompt
costs the hand-made commands anything; this set says what it buys for library things.

2026-12-07, two live runs: 0 names 18/26 and 17/26, 8 names 19/26 and 17/26 (WER heard 16.5-20.2 %
against 13.8-15.6 %). Heard from the same audio under both prompts (no live listener, so no cut to
differ), 8 names: library commands 14/26 against 13/26, the held-out set 37/48 both, the tuning
set 29/36 against 30/36, whisper hearing prompt words that were not said. The server's prompt
names none (Catalog.speech_prompt).
"""
from __future__ import annotations

import argparse

SPOKEN_OBJECTS: list[tuple[tuple[str, ...], str, tuple[str, ...], "str | None", "str | None"]] = [
    ((), "give me a dinosaur", ("t_rex",), None, None),
    ((), "give me a giraffe", ("giraffe",), None, None),
    ((), "put a pumpkin on my head", ("jack_o_lantern",), None, None),
    ((), "give me a pizza", ("pizza",), None, None),
    ((), "I want an ice cream", ("ice_cream",), None, None),
    ((), "give me a rubber duck", ("duck",), None, None),
    ((), "give me a cat", ("cat",), None, None),
    ((), "give me a dog", ("dog",), None, None),
    ((), "I want to hold a trophy", ("trophy",), None, None),
    ((), "give me a balloon", ("balloon",), None, None),
    ((), "give me a violin", ("violin",), None, None),
    ((), "give me a trumpet", ("trumpet",), None, None),
    ((), "give me a banana", ("banana",), None, None),
    ((), "give me a rocket", ("rocket",), None, None),
    ((), "give me a bicycle", ("bicycle",), None, None),
    ((), "give me an elephant", ("elephant",), None, None),
    ((), "give me a penguin", ("penguin",), None, None),
    ((), "give me a unicorn", ("unicorn",), None, None),
    ((), "give me a tractor", ("tractor",), None, None),
    ((), "give me a butterfly", ("butterfly",), None, None),
    ((), "give me a cactus", ("cactus",), None, None),
    ((), "give me a sunflower", ("sunflower",), None, None),
    ((), "give me a teddy bear", ("teddy_bear",), None, None),
    ((), "give me a snowman", ("snowman",), None, None),
    (("give me a cat",), "make it purple", ("purple cat",), None, None),
    (("give me a cat",), "no, a dog", ("dog",), None, None),
]
VOICES = ("en-us", "en-gb", "en-us+m3", "en-us+f3", "en-gb-x-rp")


def condition(i: int) -> tuple[str, int, tuple[str, str, int]]:
    return VOICES[i % 5], 130 + 20 * (i % 4), ("white noise", "whitenoise", 20)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prompt-objects", default="0,6", help="how many library names the prompt names, each a run")
    args = parser.parse_args(argv)

    from mirror.server.settings import Settings
    from speech import Transcriber
    from tools.bench.report import print_table
    from tools.bench.speech import _spoken_set
    from tools.bench.speech_heldout import BABBLE
    from world import Catalog, Interpreter
    from world.embedding import Embedder
    from world.recognition import HYPOTHESES, Recogniser, short_prompt

    settings = Settings.load()
    catalog = Catalog.load()
    interpreter = Interpreter(catalog, Embedder.load() if settings.embeddings else None)
    recogniser = Recogniser(interpreter)
    rows, misses = [], []
    for count in (int(n) for n in args.prompt_objects.split(",")):
        prompt = catalog.speech_prompt(objects=count)
        transcriber = Transcriber(settings.whisper_model or None, settings.whisper_threads, settings.beam_size,
                                  prompt=prompt, hypotheses=HYPOTHESES, short_prompt=short_prompt())
        transcriber.warm_up()
        result = _spoken_set(SPOKEN_OBJECTS, condition, transcriber, interpreter, recogniser, settings, 1.0, BABBLE)
        n = len(SPOKEN_OBJECTS)
        rows.append([count, f"{result['wer_heard']:.1%}", f"{result['wer']:.1%}",
                     f"{result['right']}/{n} ({100 * result['right'] / n:.1f} %)"])
        misses += [f"  missed ({count} names in the prompt): {m}" for m in result["misses"]]
    print_table(f"spoken object-library commands ({len(SPOKEN_OBJECTS)}, white noise 20 dB, tuning voices)",
                ["library names in the prompt", "WER heard", "WER understood", "command accuracy"], rows)
    print("\n".join(misses))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
