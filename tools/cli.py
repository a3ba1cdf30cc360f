"""`mirror` console script. Each subcommand lives in its own module, imported only when used,
so `mirror command` does not pay for WebRTC or onnxruntime imports.

A subcommand module defines `add_arguments(parser)` and `run(args) -> int`.
`mirror bench NAME` dispatches the same way to tools/bench/NAME.py.
"""
from __future__ import annotations

import argparse
import importlib
import logging
import sys

COMMANDS = {
    "serve": ("tools.commands.serve", "run the mirror web server"),
    "command": ("tools.commands.command", "apply a spoken/typed command to a scene and print it as JSON"),
    "transcribe": ("tools.commands.transcribe", "transcribe an audio file into utterances (JSON lines)"),
    "snapshot": ("tools.commands.snapshot", "render a scene over a photo into a PNG"),
}
BENCHES = {
    "pipeline": "frame pipeline fps and latency vs passthrough",
    "world": "utterance interpretation speed",
    "speech": "end-of-speech to text latency",
    "composite": "composite (+ neural) renderer speed",
    "neural": "neural repaint: per-step timings, flicker, whole frame; --gallery writes the preset pictures",
    "latency": "glass-to-glass latency over WebRTC on loopback",
}


def build_parser(argv: list[str]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mirror", description="Magic Mirror: a live generative mirror.")
    parser.add_argument("--log-level", default=None, help="DEBUG, INFO, WARNING (env MIRROR_LOG_LEVEL)")
    sub = parser.add_subparsers(dest="cmd", required=True, metavar="COMMAND")
    wanted = argv[0] if argv else None
    for name, (module, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        if name == wanted:
            importlib.import_module(module).add_arguments(p)
    bench = sub.add_parser("bench", help="benchmarks: " + ", ".join(BENCHES))
    bench_sub = bench.add_subparsers(dest="bench", required=True, metavar="BENCH")
    wanted_bench = argv[1] if wanted == "bench" and len(argv) > 1 else None
    for name, help_text in BENCHES.items():
        p = bench_sub.add_parser(name, help=help_text, description=help_text)
        if name == wanted_bench:
            importlib.import_module(f"tools.bench.{name}").add_arguments(p)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    # Global options come first; find the subcommand name for lazy argument registration.
    positional = [a for a in argv if not a.startswith("-")]
    args = build_parser(positional).parse_args(argv)
    logging.basicConfig(
        level=(args.log_level or "INFO").upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if args.cmd == "bench":
        module = importlib.import_module(f"tools.bench.{args.bench}")
    else:
        module = importlib.import_module(COMMANDS[args.cmd][0])
    try:
        return int(module.run(args) or 0)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
