"""`mirror bench speech`: end of speech → text on the live path, against faster-whisper's defaults.

Command phrases (1–4 s) are spoken by espeak-ng in several voices and speeds, with 20 dB of white
noise, and pushed through a Listener as aiortc delivers them (s16 stereo 48 kHz, 20 ms frames),
`--pace` times faster than real time. Latency runs from the push of the frame that completed the
end-of-speech silence (the first moment the segmenter could know speech had ended) to the utterance
callback. The baseline is `WhisperModel.transcribe(audio, vad_filter=True)` with its defaults (beam 5,
temperature fallback, 30 s window) on the same audio in the same run, timed from the call (made once
the whole phrase and its trailing silence are there) to its text. Both paths' word error rates are
printed, so a faster path that hears worse shows. The live path runs twice, with and without
starting whisper during the end-of-speech silence (speculation), to show what that buys.

First, spoken commands → scene edits (issue 21): the held-out spoken set and the recognition's
tuning set, each command understood against a scene, with command accuracy and end of speech →
edited scene; `--no-recogniser` gives the path without the recogniser for comparison. With them
(issue 34): that latency by utterance length, how often a decode started in a pause was wasted (the
speaker went on) and the whisper time it cost, and how often "did you mean …?" would be asked.
"""
from __future__ import annotations

import argparse
import subprocess
import tempfile
import threading
import time
from fractions import Fraction
from pathlib import Path

import numpy as np

from tools.bench.report import percentile_ms, print_table, ratio
from mirror.server.settings import Settings

PHRASES = [
    "give me a sword", "put me in game of thrones", "make it blue", "take me to outer space",
    "make it look like anime", "undo", "remove the crown", "give me a wizard hat and a cape",
    "make it bigger and red", "take me to the beach", "put sunglasses on me", "start over",
    "give me wings", "make it look like a pencil sketch", "put me in a haunted house", "give me a magic wand",
]
VOICES = ("en-us", "en-gb", "en-us+m3", "en-us+f3")
SPEEDS = (130, 160, 190)
RATE = 48_000  # what aiortc delivers
FRAME = 960  # 20 ms at 48 kHz


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--repeat", type=int, default=2, help="passes over the 16 phrases (voices and speeds rotate)")
    parser.add_argument("--beam-size", type=int, help="decoder beam (default from settings: 1)")
    parser.add_argument("--pace", type=float, default=1.0,
                        help="push audio this many times faster than real time (1: as a microphone delivers it; "
                        "faster shortens the pause in which whisper starts early, which no microphone does)")
    parser.add_argument("--no-baseline", action="store_true", help="skip faster-whisper's own transcribe()")
    parser.add_argument("--no-frames", action="store_true",
                        help="skip the frame pipeline's latency with and without whisper running")
    parser.add_argument("--no-tuning-set", action="store_true",
                        help="skip the tuning phrases (white noise, the voices the tests use)")
    parser.add_argument("--no-held-out", action="store_true",
                        help="skip the spoken commands (held-out and tuning sets: command accuracy, speech end → edit)")
    parser.add_argument("--no-recogniser", action="store_true",
                        help="the path before issue 21: whisper's first reading (greedy) straight to the interpreter")


def run(args: argparse.Namespace) -> int:
    from speech import Listener, Transcriber
    from speech.stream import SpeechStream
    from speech.models import load_whisper
    from mirror.server.services import hearing
    from world import Catalog, Interpreter
    from world.embedding import Embedder

    settings = Settings.load({"beam_size": args.beam_size})
    catalog = Catalog.load()
    interpreter = Interpreter(catalog, Embedder.load() if settings.embeddings else None)
    if args.no_recogniser:  # whisper's first reading alone, straight to the interpreter
        transcriber, recogniser = Transcriber(settings.whisper_model or None, settings.whisper_threads,
                                              settings.beam_size, prompt=catalog.speech_prompt()), None
        transcriber.warm_up()
    else:  # as the server hears
        transcriber, recogniser = hearing(settings, interpreter)
    if not args.no_held_out:
        _spoken_commands(transcriber, interpreter, recogniser, settings, args.pace)
    if args.no_tuning_set:
        if not args.no_frames:
            _frames_while_transcribing(transcriber, settings)
        return 0
    baseline = None
    if not args.no_baseline:
        baseline = load_whisper(settings.whisper_model or None, settings.whisper_threads)
        _baseline_text(baseline, np.zeros(16_000, np.float32))  # warm up, as ours was
    rng = np.random.default_rng(0)
    variants = {"speculative": True, "plain": False}  # whisper started in the pause, or at the end
    latency = {k: [] for k in variants}
    cpu = {k: [] for k in variants}  # process CPU seconds per utterance: what speculation adds
    transcribe_ms = {k: [] for k in variants}
    errors = {k: [0, 0] for k in [*variants, "baseline"]}
    missed = {k: 0 for k in variants}
    theirs, lengths, examples, push_seconds = [], [], [], []
    vad_seconds = audio_seconds = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.repeat * len(PHRASES)):
            phrase = PHRASES[i % len(PHRASES)]
            speech = speak(phrase, Path(tmp) / f"{i}.wav", VOICES[i % len(VOICES)], SPEEDS[i % len(SPEEDS)])
            noise = rng.normal(0, np.sqrt(np.mean(speech ** 2) / 100), len(speech)).astype(np.float32)
            audio16k = np.concatenate([np.zeros(8000, np.float32), speech + noise, np.zeros(16000, np.float32)])
            lengths.append(len(speech) / 16_000)

            for name, speculate in variants.items():
                heard, done = [], threading.Event()
                listener = Listener(transcriber, lambda u: (heard.append((u, time.monotonic())), done.set()),
                                    end_silence_ms=settings.end_silence_ms, max_utterance_s=settings.max_utterance_s,
                                    speculate=speculate)
                cpu_started = time.process_time()
                for frame in _aiortc_frames(audio16k):
                    started = time.perf_counter()
                    listener.push(frame)  # on the event loop in the server: must stay cheap
                    push_seconds.append(time.perf_counter() - started)
                    time.sleep(FRAME / RATE / args.pace)
                done.wait(10)
                listener.close()
                cpu[name].append(time.process_time() - cpu_started)
                _count(errors[name], phrase, " ".join(u.text for u, _ in heard))
                if heard and heard[0][0].speech_end_at is not None:
                    utterance, at = heard[0]
                    latency[name].append(at - utterance.speech_end_at)
                    transcribe_ms[name].append(utterance.transcribe_ms)
                    if name == "speculative" and len(examples) < 6:
                        examples.append(utterance.text)
                else:
                    missed[name] += 1

            started = time.perf_counter()
            SpeechStream(end_silence_ms=settings.end_silence_ms).feed(audio16k)
            vad_seconds += time.perf_counter() - started
            audio_seconds += len(audio16k) / 16_000

            if baseline is not None:
                started = time.perf_counter()
                text = _baseline_text(baseline, audio16k)
                theirs.append(time.perf_counter() - started)
                _count(errors["baseline"], phrase, text)

    wer = {k: (e / n if n else float("nan")) for k, (e, n) in errors.items()}
    base50 = percentile_ms(theirs, 50)
    decoder = "greedy" if transcriber.beam_size == 1 else f"beam {transcriber.beam_size}"
    window = f"{transcriber.WINDOWS[0] / 100:g} s window"
    rows = [[f"mirror live path, {name} (VAD stream + whisper {settings.whisper_model} {decoder}, prompt, {window})",
             percentile_ms(latency[name], 50), percentile_ms(latency[name], 95),
             ratio(percentile_ms(latency[name], 50), base50), f"{wer[name]:.1%}", len(latency[name])]
            for name in variants]
    if baseline is not None:
        rows.append(["faster-whisper transcribe(vad_filter=True) defaults", base50,
                     percentile_ms(theirs, 95), "1.00x", f"{wer['baseline']:.1%}", len(theirs)])
    print_table(f"end of speech → text, {len(lengths)} phrases of {min(lengths):.1f}–{max(lengths):.1f} s, "
                f"20 dB noise, pushed at {args.pace:g}x real time",
                ["path", "p50 ms", "p95 ms", "p50 vs baseline", "WER", "n"], rows)
    ms = np.array(transcribe_ms["plain"])
    rtf = np.median(ms / 1000 / np.array(lengths[:len(ms)])) if len(ms) else float("nan")
    print(f"\nreal-time factor (compute / audio): whisper {rtf:.3f} per utterance (median; "
          f"transcribe p50 {np.median(ms):.0f} ms), VAD + segmenter {vad_seconds / audio_seconds:.4f}")
    print(f"Listener.push() per 20 ms frame (event-loop cost): p50 {percentile_ms(push_seconds, 50) * 1000:.0f} µs, "
          f"p99 {percentile_ms(push_seconds, 99) * 1000:.0f} µs")
    print("process CPU per utterance (VAD, whisper, wasted decodes): " +
          ", ".join(f"{name} {np.median(cpu[name]):.2f} s (mean {np.mean(cpu[name]):.2f})" for name in variants))
    print(f"utterances missed: {missed}")
    print("e.g. heard:", "; ".join(examples))
    if not args.no_frames:
        _frames_while_transcribing(transcriber, settings)
    return 0


def _spoken_commands(transcriber, interpreter, recogniser, settings: Settings, pace: float) -> None:
    """Spoken commands through the live path, each understood against the scene the typed commands
    before it made: the held-out set (tools/bench/speech_heldout.py: voices and room noises the
    tuning set never has) and, beside it, the tuning set the recognition was tuned on
    (speech_tuning.py: white noise, the tests' voices). Audio goes through a Listener as aiortc
    delivers it; the utterance goes to the recogniser (world/recognition.py) on the listener's
    thread, as the server does in a worker. Command accuracy: the scene after it is the one
    expected. Latency: end of speech (the push that completed the end-of-speech silence) → the
    edited scene. WER both of whisper's first reading and of what was understood."""
    from tools.bench.speech_heldout import BABBLE, SPOKEN, condition
    from tools.bench.speech_tuning import TUNING

    tuning_voices = ("en-us", "en-gb", "en-us+m3", "en-us+f3", "en-gb-x-rp")
    sets = (
        ("held-out", SPOKEN, condition),
        ("tuning", TUNING, lambda i: (tuning_voices[i % 5], 130 + 20 * (i % 4), ("white noise", "whitenoise", 20))),
    )
    rows, misses, results = [], [], []
    for name, cases, conditions in sets:
        result = _spoken_set(cases, conditions, transcriber, interpreter, recogniser, settings, pace, BABBLE)
        results.append(result)
        rows.append([name, len(cases), f"{result['wer_heard']:.1%}", f"{result['wer']:.1%}",
                     f"{result['right']}/{len(cases)} ({100 * result['right'] / len(cases):.1f} %)",
                     percentile_ms(result["latency"], 50), percentile_ms(result["latency"], 95),
                     percentile_ms(result["understand"], 50), len(result["latency"])])
        misses += [(name, miss) for miss in result["misses"]]
        if name == "held-out":
            print("held-out by noise: " + ", ".join(f"{k} {ok}/{n}" for k, (ok, n) in result["by_noise"].items()))
    path = ("whisper n-best + short-command decode + recogniser" if recogniser is not None
            else "whisper's first reading + interpreter (no recogniser)")
    print_table(f"spoken commands → scene edits ({path}), pushed at {pace:g}x real time",
                ["set", "n", "WER heard", "WER understood", "command accuracy", "speech end → edit p50 ms",
                 "p95 ms", "understand p50 ms", "n timed"], rows)
    for name, miss in misses:
        print(f"  missed ({name}): {miss}")
    _by_length([(seconds, latency) for r in results for seconds, latency in r["by_length"]])
    whisper = [w for r in results for w in r["whisper"]]
    ready = sum(1 for _, after_end, _ in whisper if after_end is not None and after_end < 5)
    encode = [e for _, _, e in whisper]
    print(f"whisper per utterance p50 {np.median([ms for ms, _, _ in whisper]):.0f} ms, p95 "
          f"{np.percentile([ms for ms, _, _ in whisper], 95):.0f} ms (its encoder p50 {np.median(encode):.0f} ms, p95 "
          f"{np.percentile(encode, 95):.0f} ms); its readings were ready when the end of speech was "
          f"known (decoded in the pause) for {ready} of {len(whisper)}")
    hits, misses_, wasted, whisper = (sum(r["speculation"][k] for r in results) for k in range(4))
    print(f"decodes started in a pause: {hits + misses_}, used {hits}, wasted {misses_} "
          f"({misses_ / max(1, hits + misses_):.0%}: the speaker went on); whisper time of the wasted ones "
          f"{wasted:.0f} ms of {whisper + wasted:.0f} ms ({wasted / max(1.0, whisper + wasted):.1%}), "
          f"{wasted / max(1, sum(len(r['by_length']) for r in results)):.0f} ms per utterance")
    for (name, _, _), result in zip(sets, results):
        asked = result["asked"]
        print(f"did you mean (world/recognition.py DOUBT_MARGIN), {name}: asked for {len(asked)} of "
              f"{result['utterances']} commands; the chosen reading right {sum(ok for ok, _, _ in asked)}, "
              f"the offered one right {sum(other for _, other, _ in asked)}"
              + "".join(f"\n  offered {line}" for _, _, line in asked))


LENGTHS = ((0.0, 1.0), (1.0, 1.5), (1.5, 2.0), (2.0, 2.5), (2.5, 99.0))  # seconds of the utterance as cut


def _by_length(timed: list[tuple[float, float]]) -> None:
    rows = []
    for low, high in LENGTHS:
        latencies = [latency for seconds, latency in timed if low <= seconds < high]
        label = f"{low:.1f}–{high:.1f} s" if high < 99 else f"≥ {low:.1f} s"
        rows.append([label, len(latencies), percentile_ms(latencies, 50), percentile_ms(latencies, 95)])
    print_table("speech end → edit by utterance length (both sets)", ["utterance", "n", "p50 ms", "p95 ms"], rows)


def _spoken_set(cases, conditions, transcriber, interpreter, recogniser, settings: Settings, pace: float,
                babble) -> dict:
    from tools.bench.speech_noise import mix, noise, speak
    from tools.bench.world import describe_scene, scene_matches
    from speech import Listener
    from world import Scene

    latency, understand_s, heard_pairs, understood_pairs, misses = [], [], [], [], []
    by_length, asked, whisper = [], [], []  # whisper: (its ms, end of speech → readings ms, encoder ms) per utterance
    speculation = [0, 0, 0.0, 0.0]  # decodes used, wasted; whisper ms wasted, used
    right, by_noise = 0, {}
    with tempfile.TemporaryDirectory() as tmp:
        for i, (before, spoken, props, theme, style) in enumerate(cases):
            voice, speed, (noise_name, kind, snr_db) = conditions(i)
            speech = speak(spoken, Path(tmp) / f"case-{i}.wav", voice, speed)
            clip = np.concatenate([np.zeros(8000, np.float32), speech, np.zeros(16000, np.float32)])
            audio16k = mix(clip, noise(kind, len(clip) / 16_000, Path(tmp), babble, seed=i), snr_db)
            scene = Scene.empty()
            for typed in before:
                scene = interpreter.apply(scene, typed).scene
            heard, done = [], threading.Event()

            def understand(utterance, scene=scene) -> None:
                started = time.perf_counter()
                doubt = None
                if recogniser is not None:
                    choice = recogniser.choose(scene, [(h.text, h.score) for h in utterance.alternatives],
                                               [(h.text, h.score) for h in utterance.reasked])
                    result, doubt = choice.understood, choice.doubt
                else:
                    result = interpreter.apply(scene, utterance.text)
                heard.append((utterance, result, time.monotonic(), time.perf_counter() - started, doubt))
                done.set()

            # As the server hears: whisper asked again only where no first reading makes sense in the scene.
            reask = (lambda alternatives, scene=scene: recogniser.reask_prompt(alternatives, scene)) \
                if recogniser is not None else None
            listener = Listener(transcriber, understand, end_silence_ms=settings.end_silence_ms,
                                max_utterance_s=settings.max_utterance_s, reask=reask)
            for frame in _aiortc_frames(audio16k):
                listener.push(frame)
                time.sleep(FRAME / RATE / pace)
            done.wait(10)
            listener.close()
            stats = listener.stats
            speculation[0] += stats.speculative_hits
            speculation[1] += stats.speculative_misses
            speculation[2] += stats.speculative_wasted_ms
            speculation[3] += stats.transcribe_ms_total
            heard_pairs.append((spoken, " ".join(u.text for u, *_ in heard)))
            understood_pairs.append((spoken, " ".join(r.utterance for _, r, *_ in heard)))
            ok = len(heard) == 1 and scene_matches(heard[0][1].scene, props, theme, style)
            for utterance, result, _, _, doubt in heard:
                if doubt is not None:
                    other_ok = len(heard) == 1 and scene_matches(doubt.interpretation.scene, props, theme, style)
                    asked.append((ok, other_ok, f"{doubt.name!r} for {spoken!r}, understood {result.utterance!r} "
                                                f"({doubt.margin:.2f} ahead)"))
            right += ok
            tally = by_noise.setdefault(noise_name, [0, 0])
            tally[0] += ok
            tally[1] += 1
            if heard and heard[0][0].speech_end_at is not None:
                latency.append(heard[0][2] - heard[0][0].speech_end_at)
                understand_s.append(heard[0][3])
                by_length.append((heard[0][0].end_s - heard[0][0].start_s, latency[-1]))
                whisper.append((heard[0][0].transcribe_ms, heard[0][0].latency_ms, heard[0][0].encode_ms))
            if not ok:
                got = (f"heard {heard[0][0].text!r}, understood {heard[0][1].utterance!r} → "
                       f"{describe_scene(heard[-1][1].scene)}") if heard else "nothing heard"
                misses.append(f"{spoken!r} ({voice} {speed} wpm, {noise_name}): {got}")
    from speech.wer import word_error_rate

    return {"wer_heard": word_error_rate(heard_pairs), "wer": word_error_rate(understood_pairs), "right": right,
            "latency": latency, "understand": understand_s, "misses": misses, "by_noise": by_noise,
            "by_length": by_length, "speculation": speculation, "asked": asked, "utterances": len(cases),
            "whisper": whisper}


def _frames_while_transcribing(transcriber, settings: Settings, seconds: float = 6.0) -> None:
    """The mirror's frame path (default stages, camera at 30 fps) alone; while a person speaks
    commands with pauses into a live Listener (decodes start in every pause, wasted ones included);
    and while whisper transcribes back to back on its own thread (talking without pause: the worst
    case). Frames dropped: camera frames that never came out (the frame path's slots replaced them)."""
    from tools.bench.neural import pipeline_rate
    from mirror.render.registry import open_stages
    from speech import Listener
    from tools.testclip import clip_frames
    from pose.estimator import PoseEstimator
    from world import Catalog, Interpreter, Scene

    catalog = Catalog.load()
    scene = Interpreter(catalog).apply(
        Scene.empty(), "put me in game of thrones, give me a sword and a crown, make it look like van gogh").scene
    frames = [f.image for f in clip_frames(90, settings.width, settings.height)]
    with tempfile.TemporaryDirectory() as tmp:
        speech = speak("give me a sword and make it bigger and blue", Path(tmp) / "s.wav", VOICES[0], SPEEDS[0])
        said = [speak(p, Path(tmp) / f"c{i}.wav", VOICES[i % 4], SPEEDS[i % 3]) for i, p in enumerate(PHRASES[:6])]
    pause = np.zeros(int(1.2 * 16_000), np.float32)
    commands = list(_aiortc_frames(np.concatenate([np.concatenate([s, pause]) for s in said])))
    rows, runs = [], {"speaking": 0, "back to back": 0}
    for load in ("silence", "speaking", "back to back"):
        stop = threading.Event()

        def talk() -> None:
            if load == "back to back":
                while not stop.is_set():
                    transcriber.transcribe(speech)
                    runs[load] += 1
                return
            listener = Listener(transcriber, lambda u: runs.__setitem__(load, runs[load] + 1),
                                end_silence_ms=settings.end_silence_ms)
            pushed = 0
            while not stop.is_set():
                listener.push(commands[pushed % len(commands)])  # as a microphone delivers it: in real time
                pushed += 1
                time.sleep(FRAME / RATE)
            listener.close()

        worker = threading.Thread(target=talk, name="speech-bench") if load != "silence" else None
        if worker:
            worker.start()
        built = open_stages(settings, catalog)
        try:
            rate = pipeline_rate(built.stages, scene, frames, PoseEstimator, settings.pose_every, seconds=seconds,
                                 camera_fps=30.0, pose_thread=settings.pose_thread)
        finally:
            stop.set()
            if worker:
                worker.join()
        label = {"silence": "silence", "speaking": "a person speaking commands, 1.2 s apart (live listener)",
                 "back to back": "whisper transcribing back to back"}[load]
        dropped = max(0, round((30.0 - rate["fps"]) * seconds))
        rows.append([f"{'+'.join(settings.stages)}, {label}", rate["fps"], dropped, rate["p50"], rate["p95"]])
    base = rows[0]
    print_table("frame path while speech is transcribed (camera 30 fps; latency = frame in → ready for the encoder)",
                ["frames", "fps", "frames dropped", "p50 ms", "p95 ms", "p95 vs silence"],
                [r + [ratio(r[4], base[4])] for r in rows])
    print(f"in {seconds:.0f} s: {runs['speaking']} commands heard while speaking, whisper ran {runs['back to back']} "
          f"times back to back, on {settings.whisper_threads} threads; it shares the 2 cores with the frame path but "
          "never runs on the event loop or in a frame worker")


def _count(tally: list[int], reference: str, hypothesis: str) -> None:
    from speech.wer import word_errors

    edits, words = word_errors(reference, hypothesis)
    tally[0] += edits
    tally[1] += words


def _baseline_text(model, audio16k: np.ndarray) -> str:
    segments, _ = model.transcribe(audio16k, language="en", vad_filter=True)
    return " ".join(s.text for s in segments)  # the generator does the work: consume it


def _aiortc_frames(audio16k: np.ndarray):
    """The audio as aiortc hands it over: s16 packed stereo, 48 kHz, 960 samples a frame."""
    import av

    resampler = av.AudioResampler(format="flt", layout="mono", rate=RATE)
    src = av.AudioFrame.from_ndarray(audio16k.reshape(1, -1).astype(np.float32), format="flt", layout="mono")
    src.sample_rate = 16_000
    samples48k = np.concatenate([f.to_ndarray().reshape(-1) for f in [*resampler.resample(src), *resampler.resample(None)]])
    pcm = (np.clip(samples48k, -1, 1) * 32767).astype(np.int16)
    for start in range(0, len(pcm) - FRAME + 1, FRAME):
        chunk = pcm[start:start + FRAME]
        frame = av.AudioFrame.from_ndarray(np.repeat(chunk[:, None], 2, axis=1).reshape(1, -1), format="s16",
                                           layout="stereo")
        frame.sample_rate, frame.pts, frame.time_base = RATE, start, Fraction(1, RATE)
        yield frame


def speak(text: str, path: Path, voice: str, speed: int) -> np.ndarray:
    """espeak-ng speech as 16 kHz mono float32."""
    from speech.audio import decode_file

    subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(path), text], check=True, capture_output=True)
    return np.concatenate(list(decode_file(str(path))))
