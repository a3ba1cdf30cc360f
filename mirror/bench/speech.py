"""`mirror bench speech`: end of speech → text on the live path, against faster-whisper's defaults.

Command phrases (1–4 s) are spoken by espeak-ng in several voices and speeds, with 20 dB of noise.
Each phrase (plus trailing silence) is pushed through a Listener as 20 ms frames, faster than real
time; latency is measured from the moment the frame that let the segmenter see the end of speech
was pushed, to the utterance callback. The baseline is `WhisperModel.transcribe(audio,
vad_filter=True)` with its defaults (beam 5, temperature fallback) on the same audio, timed from
call to text, in the same run.
"""
from __future__ import annotations

import argparse
import subprocess
import tempfile
import threading
import time
import wave
from pathlib import Path

import numpy as np

from mirror.bench.report import percentile_ms, print_table, ratio
from mirror.settings import Settings

PHRASES = [
    "give me a sword", "put me in game of thrones", "make it blue", "take me to outer space",
    "make it look like anime", "undo", "remove the crown", "give me a wizard hat and a cape",
    "make it bigger and red", "take me to the beach", "put sunglasses on me", "start over",
    "give me wings", "make it look like a pencil sketch", "put me in a haunted house", "give me a magic wand",
]
VOICES = ("en-us", "en-gb", "en-us+m3", "en-us+f3")
SPEEDS = (130, 160, 190)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--repeat", type=int, default=2, help="passes over the phrase list")
    parser.add_argument("--beam-size", type=int, help="decoder beam (default from settings: 1)")


def run(args: argparse.Namespace) -> int:
    from faster_whisper import WhisperModel

    from speech import Listener, Transcriber
    from speech.audio import SAMPLE_RATE, Resampler
    from speech.transcriber import default_model_dir
    from world import Catalog

    settings = Settings.load({"beam_size": args.beam_size})
    transcriber = Transcriber(settings.whisper_model or None, threads=settings.whisper_threads,
                              beam_size=settings.beam_size, prompt=Catalog.load().speech_prompt())
    transcriber.warm_up()
    baseline_model = WhisperModel(str(settings.whisper_model or default_model_dir()), device="cpu",
                                  compute_type="int8", cpu_threads=settings.whisper_threads, local_files_only=True)
    rng = np.random.default_rng(0)
    ours, theirs, durations, texts = [], [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.repeat * len(PHRASES)):
            phrase = PHRASES[i % len(PHRASES)]
            speech = _speak(phrase, Path(tmp) / f"{i}.wav", VOICES[i % len(VOICES)], SPEEDS[i % len(SPEEDS)])
            speech = _to_16k(speech, Resampler)
            noise = rng.normal(0, np.sqrt(np.mean(speech ** 2) / 100), len(speech)).astype(np.float32)
            audio = np.concatenate([np.zeros(8000, np.float32), speech + noise, np.zeros(16000, np.float32)])
            durations.append(len(speech) / SAMPLE_RATE)

            heard, done = [], threading.Event()
            listener = Listener(transcriber, lambda u: (heard.append((u, time.monotonic())), done.set()),
                                end_silence_ms=settings.end_silence_ms)
            for start in range(0, len(audio), 320):  # 20 ms frames
                listener.push_samples(audio[start:start + 320])
            done.wait(10)
            listener.close()
            if heard and heard[0][0].speech_end_at is not None:
                utterance, at = heard[0]
                ours.append(at - utterance.speech_end_at)
                texts.append(utterance.text)

            started = time.perf_counter()
            segments, _ = baseline_model.transcribe(audio, language="en", vad_filter=True)
            " ".join(s.text for s in segments)
            theirs.append(time.perf_counter() - started)
    rows = [
        ["mirror live path (VAD + whisper, greedy, prompt)", percentile_ms(ours, 50), percentile_ms(ours, 95),
         ratio(percentile_ms(ours, 50), percentile_ms(theirs, 50)), len(ours)],
        ["faster-whisper transcribe(vad_filter=True) defaults", percentile_ms(theirs, 50), percentile_ms(theirs, 95),
         "1.00x", len(theirs)],
    ]
    print_table(f"end of speech → text, {len(durations)} utterances of {min(durations):.1f}–{max(durations):.1f} s",
                ["path", "p50 ms", "p95 ms", "p50 vs baseline", "n"], rows)
    rtf = np.median(np.array(ours) / np.array(durations[:len(ours)])) if ours else float("nan")
    print(f"\nreal-time factor (latency / utterance length), median: {rtf:.2f}")
    print("e.g. heard:", "; ".join(texts[:6]))
    return 0


def _speak(text: str, path: Path, voice: str, speed: int) -> tuple[np.ndarray, int]:
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(path), text], check=True, capture_output=True)
    with wave.open(str(path)) as w:
        return np.frombuffer(w.readframes(w.getnframes()), "<i2").astype(np.float32) / 32768, w.getframerate()


def _to_16k(speech: tuple[np.ndarray, int], resampler_cls) -> np.ndarray:
    import av

    samples, rate = speech
    frame = av.AudioFrame.from_ndarray((samples * 32767).astype(np.int16).reshape(1, -1), format="s16", layout="mono")
    frame.sample_rate = rate
    return resampler_cls().convert(frame)
