"""`mirror bench world`: time per utterance through the interpreter, with and without embeddings.

The utterances are the test tables' (tests/world/test_interpreter.py reads the same kinds of
sentences). The baseline, in the same run, is the cheapest possible reading: lower-casing,
splitting into words and one dictionary lookup per word against the catalog's synonyms.
"""
from __future__ import annotations

import argparse
import time

from tools.bench.report import percentile_ms, print_table, ratio

UTTERANCES = [
    "give me a sword", "make it bigger and blue", "now put me in Game of Thrones", "undo", "give me a crown",
    "take away the sword", "make it look like anime", "give me a blue sword and a crown", "hello there",
    "don't give me a shield", "give me a flying elephant", "put me in the arctic", "give me a laser gun",
    "make it look like a renaissance painting", "take me to the planet jupiter", "remove everything",
    "make the crown red and huge", "I had pasta for lunch", "put sunglasses on me", "start over",
    "give me a sord and a crowne", "take me to space and make it watercolor", "more painterly", "subtler",
]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--repeat", type=int, default=20, help="passes over the utterance list")


def run(args: argparse.Namespace) -> int:
    from world import Catalog, Scene
    from world.embedding import Embedder
    from world.interpreter import Interpreter

    catalog = Catalog.load()
    started = time.perf_counter()
    embedder = Embedder.load()
    with_embeddings = Interpreter(catalog, embedder)
    load_s = time.perf_counter() - started
    plain = Interpreter(catalog)
    lookup = {s: e.id for group in (catalog.props, catalog.themes, catalog.styles) for e in group.values()
              for s in e.synonyms}

    def baseline(text: str) -> list[str]:
        return [lookup[w] for w in text.lower().split() if w in lookup]

    def timed(fn, repeat: int) -> list[float]:
        times = []
        for _ in range(repeat):
            for text in UTTERANCES:
                t0 = time.perf_counter()
                fn(text)
                times.append(time.perf_counter() - t0)
        return times

    base = timed(baseline, args.repeat)
    rules = timed(lambda t: plain.apply(Scene.empty(), t), args.repeat)
    meaning = timed(lambda t: with_embeddings.apply(Scene.empty(), t), max(1, args.repeat // 4))
    embed_only = timed(lambda t: embedder.embed([t]), max(1, args.repeat // 4))
    rows = [
        ["baseline: split + dictionary lookup", percentile_ms(base, 50), percentile_ms(base, 95), "1.00x"],
        ["interpreter, no embeddings", percentile_ms(rules, 50), percentile_ms(rules, 95),
         ratio(percentile_ms(rules, 50), percentile_ms(base, 50))],
        ["interpreter with embeddings (whole utterance)", percentile_ms(meaning, 50), percentile_ms(meaning, 95),
         ratio(percentile_ms(meaning, 50), percentile_ms(base, 50))],
        ["one MiniLM embedding (numpy)", percentile_ms(embed_only, 50), percentile_ms(embed_only, 95),
         ratio(percentile_ms(embed_only, 50), percentile_ms(base, 50))],
    ]
    print_table(f"world: {len(UTTERANCES)} utterances × passes, per utterance",
                ["path", "p50 ms", "p95 ms", "p50 vs baseline"], rows)
    print(f"\nembedding model + catalog phrase vectors loaded in {load_s:.2f} s; catalog: {len(catalog.props)} props, "
          f"{len(catalog.themes)} themes, {len(catalog.styles)} styles, {len(catalog.colors)} colours, "
          f"{len(catalog.objects)} library objects")
    _held_out_accuracy(plain, with_embeddings)
    _held_out_dialogues(plain, with_embeddings)
    _objects_held_out(plain, with_embeddings)
    _objects_threshold(with_embeddings)
    return 0


def _held_out_accuracy(plain, with_embeddings) -> None:
    """Share of the held-out utterances (tools/bench/world_heldout.py) read right, with and
    without the embedding model, and what was missed."""
    from tools.bench.world_heldout import HELD_OUT
    from world import Scene

    def reads(interpreter, before, text, kinds, theme, style) -> tuple[bool, str]:
        scene = Scene.empty()
        for said in before:
            scene = interpreter.apply(scene, said).scene
        scene = interpreter.apply(scene, text).scene
        got = (tuple(p.kind for p in scene.props), scene.theme, scene.style)
        return got == (kinds, theme, style), f"props={list(got[0])} theme={got[1]} style={got[2]}"

    results = {name: [reads(i, *case) for case in HELD_OUT] for name, i in
               (("rules + fuzzy", plain), ("rules + fuzzy + meaning (MiniLM)", with_embeddings))}
    print_table(f"held-out utterances ({len(HELD_OUT)}, not in the test tables, not tuned against)",
                ["interpreter", "read right", "accuracy"],
                [[name, f"{sum(ok for ok, _ in r)}/{len(r)}", f"{100 * sum(ok for ok, _ in r) / len(r):.0f} %"]
                 for name, r in results.items()])
    misses = [(case, got) for case, (ok, got) in zip(HELD_OUT, results["rules + fuzzy + meaning (MiniLM)"]) if not ok]
    for (before, text, kinds, theme, style), got in misses:
        context = f" (after {' / '.join(before)})" if before else ""
        print(f"  missed: {text!r}{context}: wanted props={list(kinds)} theme={theme} style={style}; got {got}")


def scene_matches(scene, props: tuple[str, ...], theme: str | None, style: str | None,
                  extras: tuple[str, ...] | None = None) -> bool:
    """Whether `scene` holds what a held-out case expects: props as "kind" or "colour kind" (the
    colour checked exactly), theme, style, and the extras when given."""
    got = tuple(" ".join(w for w in (p.color, p.kind) if w) for p in scene.props)
    return (got, scene.theme, scene.style) == (props, theme, style) and (extras is None or scene.extras == extras)


def describe_scene(scene) -> str:
    props = [" ".join(w for w in (p.color, p.kind) if w) for p in scene.props]
    return f"props={props} theme={scene.theme} style={scene.style} extras={list(scene.extras)}"


def _held_out_dialogues(plain, with_embeddings) -> None:
    """Rounds 2 and 3 of issue 21 (tools/bench/world_heldout_dialogues.py, world_heldout_blind.py)."""
    from tools.bench.world_heldout_blind import BLIND
    from tools.bench.world_heldout_dialogues import DIALOGUES

    for title, cases in (("round 2: names, corrections, one-word commands, resets, free text; written before the "
                          "work, designed against", DIALOGUES),
                         ("round 3: written blind after the interpreter work; first run 62/64, its two misses "
                          "fixed since", BLIND)):
        _dialogue_accuracy(f"held-out dialogues, {title} ({len(cases)})", cases, plain, with_embeddings)


def _dialogue_accuracy(title: str, cases, plain, with_embeddings) -> None:
    from world import Scene

    def reads(interpreter, before, text, props, theme, style, extras) -> tuple[bool, str]:
        scene = Scene.empty()
        for said in (*before, text):
            scene = interpreter.apply(scene, said).scene
        return scene_matches(scene, props, theme, style, extras), describe_scene(scene)

    meaning = "rules + fuzzy + meaning (MiniLM)"
    results = {name: [reads(i, *case) for case in cases] for name, i in
               (("rules + fuzzy", plain), (meaning, with_embeddings))}
    print_table(title, ["interpreter", "read right", "accuracy"],
                [[name, f"{sum(ok for ok, _ in r)}/{len(r)}", f"{100 * sum(ok for ok, _ in r) / len(r):.1f} %"]
                 for name, r in results.items()])
    for (before, text, props, theme, style, extras), (ok, got) in zip(cases, results[meaning]):
        if not ok:
            context = f" (after {' / '.join(before)})" if before else ""
            wanted = f"props={list(props)} theme={theme} style={style}"
            wanted += f" extras={list(extras)}" if extras is not None else ""
            print(f"  missed: {text!r}{context}: wanted {wanted}; got {got}")


def object_matches(scene, expected: tuple[str, ...]) -> bool:
    """Whether the scene's props are the expected ones, in order: each "[colour ]id|id…[@anchor]"."""
    if len(scene.props) != len(expected):
        return False
    for prop, want in zip(scene.props, expected):
        want, _, anchor = want.partition("@")
        color, _, kinds = want.rpartition(" ")
        if prop.kind not in kinds.split("|") or (color and prop.color != color) or (anchor and prop.anchor != anchor):
            return False
    return True


def _objects_held_out(plain, with_embeddings) -> None:
    """The object library's held-out phrases (tools/bench/world_objects_heldout.py, issue 31): the
    things asked for, requests for no thing (nothing drawn, the page told what cannot be), and talk
    that names a thing but asks for nothing (no change)."""
    from tools.bench.world_objects_heldout import CHIT_CHAT, NOT_THINGS, OBJECTS
    from world import Scene

    def run(interpreter) -> list[tuple[bool, str, str]]:
        out = []
        for before, text, expected in OBJECTS:
            scene = Scene.empty()
            for said in before:
                scene = interpreter.apply(scene, said).scene
            scene = interpreter.apply(scene, text).scene
            got = [" ".join(w for w in (p.color, p.kind) if w) + f"@{p.anchor}" for p in scene.props]
            out.append((object_matches(scene, expected), text, f"wanted {list(expected)}; got {got}"))
        for text in NOT_THINGS:
            result = interpreter.apply(Scene.empty(), text)
            ok = not result.scene.props and bool(result.not_drawn)
            out.append((ok, text, f"wanted nothing drawn and said; got props={[p.kind for p in result.scene.props]} "
                                   f"not_drawn={result.not_drawn}"))
        for text in CHIT_CHAT:
            result = interpreter.apply(Scene.empty(), text)
            out.append((not result.changed, text, f"wanted no change; got {result.explain}"))
        return out

    meaning = "rules + fuzzy + meaning (MiniLM)"
    results = {name: run(i) for name, i in (("rules + fuzzy", plain), (meaning, with_embeddings))}
    total = len(OBJECTS) + len(NOT_THINGS) + len(CHIT_CHAT)
    print_table(f"held-out object library phrases, issue 31 ({len(OBJECTS)} things, {len(NOT_THINGS)} no-things, "
                f"{len(CHIT_CHAT)} talk; written before the lookup was built)",
                ["interpreter", "read right", "accuracy"],
                [[name, f"{sum(ok for ok, _, _ in r)}/{total}", f"{100 * sum(ok for ok, _, _ in r) / total:.1f} %"]
                 for name, r in results.items()])
    for ok, text, detail in results[meaning]:
        if not ok:
            print(f"  missed: {text!r}: {detail}")


def _objects_threshold(with_embeddings) -> None:
    """What the library's meaning threshold trades (tools/bench/world_objects_tuning.py)."""
    from tools.bench.world_objects_tuning import MEANT, NOT_THINGS, sweep
    from world.interpreter import LIBRARY_THRESHOLD

    print_table(f"library meaning threshold (tuning set: {len(MEANT)} things no object is called, "
                f"{len(NOT_THINGS)} no-things; in use: {LIBRARY_THRESHOLD})",
                ["threshold", "drawn as a fair object", "drawn as another", "not drawn", "no-things drawn"],
                [[f"{r[0]:.2f}", *r[1:]] for r in sweep(with_embeddings)])
