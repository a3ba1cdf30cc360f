"""`mirror bench voice`: spoken commands through the whole path, in a real browser, N times each.

Each phrase is spoken by espeak-ng into headless Chromium's fake microphone, `--repeat` times with a
pause after each, to a real `mirror serve` on loopback: browser mic → Opus → WebRTC → 16 kHz → VAD
→ whisper → recogniser → world → the scene event on the page. Before every utterance the scene is
set back (typed: "start over", then the commands that make the scene it is said in), so each hearing of a phrase is judged
against the same scene and the same expected result. The table gives each phrase's hit rate and
its end of speech → scene edit latency (measured on the server, sent with the scene event).

What a voice command must say in the browser end-to-end test is chosen from here: only phrases
heard right every time on this path (tests/e2e/test_voice_commands.py). What whisper hears is a figure
here, never an assertion.

`--script` says the five commands of that test. Below the table: end of speech → scene edit over
all phrases (p50, p95), and the page's own frame rate (what it shows, counted by
requestVideoFrameCallback) while someone speaks — from the page's "listening" event to the scene
event that answers it — against the seconds of silence before the first command.
"""
from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tools.bench.report import percentile_ms, print_table

SAMPLE_RATE = 16_000
CONNECT_S = 8.0  # leading silence: page load, WebRTC set-up and the typed sword fit in it
# What is said → (the scene it is said in, typed first; the scene after it: props as "colour
# kind", theme, style). The scenes are those of the browser test's script (tests/e2e/test_voice_commands.py),
# so each phrase is measured where the test says it.
SWORD = ("give me a sword",)
PHRASES: dict[str, tuple[tuple[str, ...], tuple[list[str], str | None, str | None]]] = {
    "paint me like Rembrandt": (SWORD, (["sword"], None, "oil_painting")),
    "make it look like an oil painting": (SWORD, (["sword"], None, "oil_painting")),
    "make it look like a pencil sketch": (SWORD, (["sword"], None, "pencil_sketch")),
    "undo": ((*SWORD, "paint me like rembrandt"), (["sword"], None, None)),
    "undo that": ((*SWORD, "paint me like rembrandt"), (["sword"], None, None)),
    "undo the last change": ((*SWORD, "paint me like rembrandt"), (["sword"], None, None)),
    "go back": ((*SWORD, "paint me like rembrandt"), (["sword"], None, None)),
    "no, not a sword, a crown": (SWORD, (["crown"], None, None)),
    "not a sword, a crown": (SWORD, (["crown"], None, None)),
    "make it blue": (("give me a crown",), (["blue crown"], None, None)),
    "make it red": (("give me a crown",), (["red crown"], None, None)),
    "take me to Elsa's castle": (("give me a blue crown",), (["blue crown"], "ice_palace", None)),
    "put me in game of thrones": (("give me a blue crown",), (["blue crown"], "game_of_thrones", None)),
    "take me to the beach": (("give me a blue crown",), (["blue crown"], "beach", None)),
}

# The commands of tests/e2e/test_voice_commands.py, in its order.
SCRIPT = ("paint me like Rembrandt", "undo the last change", "no, not a sword, a crown", "make it blue",
          "take me to Elsa's castle")

# Every scene event that came from the microphone, kept by the page as it arrives; when speech
# began and was answered (page clock), and the page's frame rate four times a second.
RECORD_SCENES = """
window.voiceScenes = [];
window.typedScenes = 0;
window.speaking = [];
window.fpsLog = [];
window.addEventListener("mirror-event", (e) => {
  if (e.detail.type === "listening") window.speaking.push([performance.now(), null]);
  if (e.detail.type !== "scene") return;
  if (e.detail.source === "voice") {
    window.voiceScenes.push(e.detail);
    const open = window.speaking[window.speaking.length - 1];
    if (open && open[1] === null) open[1] = performance.now();
  }
  if (e.detail.source === "typed") window.typedScenes += 1;
});
setInterval(() => { if (window.mirrorStats) window.fpsLog.push([performance.now(), window.mirrorStats.framesShown]); }, 250);
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("phrases", nargs="*", help=f"what to say (default: the {len(PHRASES)} known phrases)")
    parser.add_argument("--script", action="store_true",
                        help="say the five commands of the browser e2e test (tests/e2e/test_voice_commands.py)")
    parser.add_argument("--repeat", type=int, default=20, help="times each phrase is said")
    parser.add_argument("--wpm", type=int, default=130, help="espeak-ng's speed, words a minute")
    parser.add_argument("--voice", default="en-us", help="espeak-ng's voice")
    parser.add_argument("--gap", type=float, default=2.5, help="seconds of silence after each utterance")
    parser.add_argument("--embeddings", action="store_true", help="match unlisted words by meaning too (MiniLM)")


@dataclass
class Tally:
    phrase: str
    heard: list[str] = field(default_factory=list)  # what whisper heard, each time
    right: int = 0
    latencies: list[float] = field(default_factory=list)  # end of speech → edit, seconds
    to_text: list[float] = field(default_factory=list)  # end of speech → whisper's readings, seconds
    whisper: list[float] = field(default_factory=list)  # whisper's time per utterance, seconds
    encode: list[float] = field(default_factory=list)  # ... of it, its encoder's
    fps_speaking: list[float] = field(default_factory=list)  # the page's fps, each half second someone spoke
    fps_silent: list[float] = field(default_factory=list)  # ... and each half second of the silence before


def described(scene: dict) -> tuple[list[str], str | None, str | None]:
    props = [" ".join(w for w in (p["color"], p["kind"]) if w) for p in scene["props"]]
    return props, scene["theme"], scene["style"]


def run(args: argparse.Namespace) -> int:
    from tools.bench.latency import ServerProcess
    from tools.bench.speech import speak
    from tools.fake_media import write_wav, write_y4m
    from tools.testclip import clip_frames

    phrases = args.phrases or (list(SCRIPT) if args.script else list(PHRASES))
    unknown = [p for p in phrases if p not in PHRASES]
    if unknown:
        raise SystemExit(f"no expected scene for {unknown}: add them to PHRASES in {__file__}")
    work = Path(tempfile.mkdtemp(prefix="mirror-bench-voice-"))
    camera = write_y4m(work / "camera.y4m", (f.image for f in clip_frames(60)))
    env = {"MIRROR_SPEECH": "true", "MIRROR_EMBEDDINGS": "true" if args.embeddings else "false"}
    server = ServerProcess("composite", True, str(work / "server.log"), env=env)
    tallies = []
    try:
        asyncio.run(server.ready())
        for phrase in phrases:
            said = speak(phrase, work / "phrase.wav", args.voice, args.wpm)
            gap = np.zeros(int(args.gap * SAMPLE_RATE), np.float32)
            audio = np.concatenate([np.zeros(int(CONNECT_S * SAMPLE_RATE), np.float32),
                                    *[np.concatenate([said, gap]) for _ in range(args.repeat)],
                                    np.zeros(60 * SAMPLE_RATE, np.float32)])
            microphone = write_wav(work / "microphone.wav", audio, SAMPLE_RATE)
            tally = _listen(server.url, camera, microphone, phrase, args.repeat,
                            timeout_s=CONNECT_S + args.repeat * (len(said) / SAMPLE_RATE + args.gap) + 30)
            tallies.append(tally)
            print(f"{phrase!r}: {tally.right}/{args.repeat}; heard {sorted(set(tally.heard))}", flush=True)
    finally:
        server.stop()
    rows = [(t.phrase, f"{t.right}/{args.repeat}", f"{100 * t.right / args.repeat:.0f} %",
             percentile_ms(t.latencies, 50), percentile_ms(t.latencies, 95),
             "; ".join(sorted({h for h in t.heard if h.lower().strip('.!? ') != t.phrase.lower().strip('.!? ')}))[:70])
            for t in tallies]
    print_table(f"{args.voice} at {args.wpm} wpm through headless Chromium (Opus) → mirror serve on loopback, "
                f"embeddings {'on' if args.embeddings else 'off'}", ["phrase", "right", "rate", "edit p50 ms", "edit p95 ms", "also heard"], rows)
    latencies = [s for t in tallies for s in t.latencies]
    print(f"\nall {len(tallies)} phrases: {sum(t.right for t in tallies)}/{args.repeat * len(tallies)} right; "
          f"end of speech → scene edit (the scene event leaves the server) p50 {percentile_ms(latencies, 50):.0f} ms, "
          f"p95 {percentile_ms(latencies, 95):.0f} ms over {len(latencies)} commands")
    to_text = [s for t in tallies for s in t.to_text]
    whisper = [s for t in tallies for s in t.whisper]
    if to_text and whisper:
        encode = [s for t in tallies for s in t.encode]
        decode = [w - e for w, e in zip(whisper, encode)]
        print(f"  of which end of speech → whisper's readings p50 {percentile_ms(to_text, 50):.0f} ms, p95 "
              f"{percentile_ms(to_text, 95):.0f} ms (whisper per utterance p50 {percentile_ms(whisper, 50):.0f} ms, "
              f"p95 {percentile_ms(whisper, 95):.0f} ms, started in the pause: its encoder p50 "
              f"{percentile_ms(encode, 50):.0f} / p95 {percentile_ms(encode, 95):.0f} ms, the decodes "
              f"{percentile_ms(decode, 50):.0f} / {percentile_ms(decode, 95):.0f} ms)")
    speaking = [f for t in tallies for f in t.fps_speaking]
    silent = [f for t in tallies for f in t.fps_silent]
    if speaking and silent:
        print(f"the page's fps: {np.mean(silent):.1f} in silence ({len(silent) / 4:.0f} s), {np.mean(speaking):.1f} "
              f"while someone speaks and is answered ({len(speaking) / 4:.0f} s): "
              f"{np.mean(speaking) - np.mean(silent):+.1f} fps")
    return 0


def _listen(url: str, camera: Path, microphone: Path, phrase: str, repeat: int, timeout_s: float) -> Tally:
    """One browser session saying `phrase` `repeat` times; the scene is set back after each."""
    from playwright.sync_api import sync_playwright

    from tools.chromium import QUIET, chromium_path, fake_media_switches

    setup, expected = PHRASES[phrase]
    reset = ("start over", *setup)
    tally = Tally(phrase)
    args = ["--use-fake-ui-for-media-stream", *fake_media_switches(camera, microphone),
            "--allow-loopback-in-peer-connection", *QUIET]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), headless=True, args=args)
        try:
            page = browser.new_context().new_page()
            page.add_init_script(RECORD_SCENES)
            page.goto(url + "/")
            page.wait_for_function("window.mirrorStats.connected && window.mirrorStats.events.includes('hello')",
                                   timeout=30_000)
            _type(page, reset)
            deadline = time.monotonic() + timeout_s
            seen = 0
            while seen < repeat and time.monotonic() < deadline:
                events = page.evaluate(f"window.voiceScenes.slice({seen})")
                for event in events:
                    tally.heard.append(event.get("heard", event["utterance"]))
                    tally.right += described(event["scene"]) == expected
                    timings = event.get("timings") or {}
                    if (ms := timings.get("speech_end_to_edit_ms")) is not None:
                        tally.latencies.append(ms / 1000)
                    if (ms := timings.get("speech_end_to_text_ms")) is not None:
                        tally.to_text.append(ms / 1000)
                    if (ms := timings.get("whisper_ms")) is not None:
                        tally.whisper.append(ms / 1000)
                        tally.encode.append(timings["whisper_encode_ms"] / 1000)  # sent beside whisper_ms
                seen += len(events)
                if events:
                    _type(page, reset)
                time.sleep(0.05)
            _frame_rates(page, tally)
        finally:
            browser.close()
    return tally


def _frame_rates(page, tally: Tally) -> None:
    """The page's frames shown, counted every 250 ms, as fps over half-second windows: those inside
    speech (its "listening" event → the scene event that answers it) and those of the silence before
    the first command, once the video runs."""
    log = page.evaluate("window.fpsLog")  # [page ms, frames shown so far]
    speaking = page.evaluate("window.speaking")
    if not speaking:
        return
    first_speech = speaking[0][0]
    spans = [(start, end) for start, end in speaking if end is not None]
    for (t0, shown0), (t1, shown1) in zip(log, log[2:]):
        if not shown0 or t1 <= t0:
            continue  # the video has not started
        fps = (shown1 - shown0) * 1000 / (t1 - t0)
        if any(start <= t0 and t1 <= end for start, end in spans):
            tally.fps_speaking.append(fps)
        elif t1 <= first_speech - 500:
            tally.fps_silent.append(fps)


def _type(page, commands: tuple[str, ...]) -> None:
    """Type `commands` and wait until the page has the scene event of each."""
    before = page.evaluate("window.typedScenes")
    for command in commands:
        page.fill("#command", command)
        page.press("#command", "Enter")
    page.wait_for_function(f"window.typedScenes >= {before + len(commands)}", timeout=10_000)
