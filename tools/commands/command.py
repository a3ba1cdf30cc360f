"""`mirror command "TEXT" [--scene FILE.json] [--explain]`: one utterance through the world model.

With --scene, the previous scene is read from FILE (if it exists) and the new one written back,
so a dialogue can be scripted:
    mirror command "give me a sword" --scene s.json
    mirror command "make it bigger and blue" --scene s.json
    mirror command "undo" --scene s.json --explain
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from mirror.server.settings import Settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("text", help="what the person said")
    parser.add_argument("--scene", type=Path, help="scene JSON to start from and to write the result to")
    parser.add_argument("--explain", action="store_true", help="also print what was understood (to stderr)")
    parser.add_argument("--no-embeddings", dest="embeddings", action="store_const", const=False,
                        help="match catalog words only, without the sentence-embedding model")


def run(args: argparse.Namespace) -> int:
    from world import Catalog, Scene
    from world.interpreter import Interpreter

    settings = Settings.load({"embeddings": args.embeddings})
    scene = Scene.empty()
    if args.scene and args.scene.exists():
        try:
            scene = Scene.from_json(args.scene.read_text())
        except (ValueError, KeyError, TypeError) as exc:
            print(f"mirror command: {args.scene} is not a scene file: {exc}", file=sys.stderr)
            return 2
    embedder = None
    if settings.embeddings:
        from world.embedding import Embedder

        embedder = Embedder.load()
    result = Interpreter(Catalog.load(), embedder=embedder).apply(scene, args.text)
    if args.scene:
        args.scene.write_text(result.scene.to_json())
    if args.explain:
        print(f"understood: {result.explain}", file=sys.stderr)
        print(f"prompt: {result.scene.prompt(Catalog.load())}", file=sys.stderr)
    print(json.dumps(result.scene.to_dict(history=False), indent=2))
    return 0
