"""`mirror transcribe FILE`: utterances of an audio file as JSON lines, found by the same VAD and
segmenter as live audio, with the same whisper prompt as the server."""
from __future__ import annotations

import argparse
import json
import sys

from mirror.server.settings import Settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="any audio file PyAV can read (wav, mp3, ogg, webm, …)")
    parser.add_argument("--model", help="base (the default), tiny.en, or a CTranslate2 whisper model directory")
    parser.add_argument("--beam-size", type=int, help="decoder beam (default from settings)")
    parser.add_argument("--no-prompt", action="store_true", help="do not bias whisper toward the catalog's commands")


def run(args: argparse.Namespace) -> int:
    import av

    from speech import Transcriber, TranscriberError, transcribe_file
    from world import Catalog

    settings = Settings.load({"whisper_model": args.model, "beam_size": args.beam_size})
    try:
        transcriber = Transcriber(settings.whisper_model or None, settings.whisper_threads, settings.beam_size,
                                  prompt="" if args.no_prompt else Catalog.load().speech_prompt())
    except TranscriberError as exc:
        print(f"mirror transcribe: {exc}", file=sys.stderr)
        return 2
    try:
        for utterance in transcribe_file(args.file, transcriber, end_silence_ms=settings.end_silence_ms,
                                         max_utterance_s=settings.max_utterance_s):
            print(json.dumps(utterance.to_dict()), flush=True)
    except (av.error.FFmpegError, ValueError, OSError) as exc:
        print(f"mirror transcribe: cannot read {args.file}: {exc}", file=sys.stderr)
        return 2
    return 0
