"""`mirror` console script. Each subcommand lives in its own module, imported only when used,
so `mirror command` does not pay for WebRTC or onnxruntime imports.

A subcommand module defines `add_arguments(parser)` and `run(args) -> int`; so does each bench,
wherever it lives (the GPU benches sit beside their code so they run on a bare GPU box).
Global options (--log-level) go before or after the subcommand.
"""
from __future__ import annotations

import argparse
import importlib
import logging
import sys

COMMANDS = {
    "serve": ("tools.commands.serve", "run the mirror web server"),
    "stages": ("tools.commands.stages", "list the render stages and whether each can run here"),
    "command": ("tools.commands.command", "apply a spoken/typed command to a scene and print it as JSON"),
    "transcribe": ("tools.commands.transcribe", "transcribe an audio file into utterances (JSON lines)"),
    "snapshot": ("tools.commands.snapshot", "render a scene over a photo into a PNG"),
    "weights": ("tools.commands.weights", "fetch the diffusion stage's weights (needs internet)"),
    "kiosk": ("tools.commands.kiosk", "run the mirror unattended: server + full-screen browser, restarted if they die"),
    "status": ("tools.commands.status", "how a running mirror is doing: sessions, fps, stage health, last errors"),
    "check": ("tools.commands.check", "check gpu: the GPU path proved in one command (kernels, benches, a live server)"),
}
BENCHES = {
    "pipeline": ("tools.bench.pipeline", "frame pipeline fps and latency vs passthrough"),
    "world": ("tools.bench.world", "utterance interpretation speed"),
    "speech": ("tools.bench.speech", "end-of-speech to text latency"),
    "composite": ("tools.bench.composite", "composite (+ neural) renderer speed"),
    "neural": ("tools.bench.neural", "neural repaint: per-step timings, flicker, whole frame; --gallery writes the preset pictures"),
    "voice": ("tools.bench.voice", "spoken commands in a real browser, N times each: hit rate and end of speech → edit"),
    "latency": ("tools.bench.latency", "glass-to-glass latency over WebRTC on loopback"),
    "join": ("tools.bench.join", "does a newcomer stall the person already at the mirror? their longest frame gap"),
    "load": ("tools.bench.load", "N people at once up to the cap: fps and glass-to-glass per session, the next refused"),
    "diffusion": ("mirror.render.diffusion.bench", "one-step diffusion for 1, 2, 4 people at once: ours vs diffusers' pipeline"),
    "kernels": ("gpu_kernels.bench", "fused frame-path kernels vs torch eager and torch.compile"),
}


def _global_options(parser: argparse.ArgumentParser, *, top: bool) -> None:
    # On the subcommands the default is SUPPRESS, so an option given before the subcommand is kept.
    parser.add_argument("--log-level", default=None if top else argparse.SUPPRESS,
                        help="DEBUG, INFO, WARNING (env MIRROR_LOG_LEVEL)")


def _chosen(argv: list[str]) -> tuple[str | None, str | None]:
    """The subcommand (and bench) named in argv, wherever the global options stand."""
    known, rest = argparse.ArgumentParser(add_help=False), []
    _global_options(known, top=True)
    _, rest = known.parse_known_args(argv)
    words = [a for a in rest if not a.startswith("-")]
    command = words[0] if words else None
    bench = words[1] if command == "bench" and len(words) > 1 else None
    return command, bench


def build_parser(argv: list[str]) -> argparse.ArgumentParser:
    wanted, wanted_bench = _chosen(argv)
    parser = argparse.ArgumentParser(prog="mirror", description="Magic Mirror: a live generative mirror.")
    _global_options(parser, top=True)
    sub = parser.add_subparsers(dest="cmd", required=True, metavar="COMMAND")
    for name, (module, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        _global_options(p, top=False)
        if name == wanted:
            importlib.import_module(module).add_arguments(p)
    bench = sub.add_parser("bench", help="benchmarks: " + ", ".join(BENCHES))
    bench_sub = bench.add_subparsers(dest="bench", required=True, metavar="BENCH")
    for name, (module, help_text) in BENCHES.items():
        p = bench_sub.add_parser(name, help=help_text, description=help_text)
        _global_options(p, top=False)
        if name == wanted_bench:
            importlib.import_module(module).add_arguments(p)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser(argv).parse_args(argv)
    from mirror.server.settings import Settings

    level = Settings.load({"log_level": args.log_level}).log_level
    logging.basicConfig(level=level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    module = BENCHES[args.bench][0] if args.cmd == "bench" else COMMANDS[args.cmd][0]
    try:
        return int(importlib.import_module(module).run(args) or 0)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
