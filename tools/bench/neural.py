"""`mirror bench neural`: the neural repaint stage on its own, and helpers `mirror bench composite`
calls for the whole mirror frame.

Rows, all measured in this run on the same frames:
  per step       downscale / network / upscale / stabilise at the working size(s), one thread
  flicker        output change ÷ input change on a nearly still clip, with and without the stabiliser
  whole frame    pose + composite on one thread, the repaint on its own (the real FramePipeline),
                 against the composite alone in the same pipeline
`--gallery DIR` also writes each preset over the photo (neural_<preset>.png) and a contact sheet of
the 26 learned styles (neural_styles.png), the pictures the preset names were chosen from.
"""
from __future__ import annotations

import argparse
import itertools
import threading
import time
from pathlib import Path

import av
import cv2
import numpy as np

from tools.bench.report import percentile_ms, print_table, ratio
from tools.testclip import astronaut, clip_frames


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--style", default="van_gogh", help="a style with a neural preset")
    parser.add_argument("--sizes", default="192x144,224x168,320x240", help="working sizes for the per-step rows")
    parser.add_argument("--frames", type=int, default=40, help="frames per row")
    parser.add_argument("--seconds", type=float, default=6.0, help="length of each whole-frame pipeline row")
    parser.add_argument("--no-pipeline", action="store_true", help="skip the whole-frame rows")
    parser.add_argument("--gallery", type=Path, default=None, help="write the preset pictures into this folder")
    parser.add_argument("--int8", action="store_true",
                        help="only compare the network quantised to int8 (QDQ) with the float one it ships as")


def run(args: argparse.Namespace) -> int:
    from mirror.server.settings import Settings
    from world import Catalog, Scene

    settings = Settings.load()
    catalog = Catalog.load()
    scene = Scene.empty().edit(style=args.style)
    if args.int8:
        from mirror.render.neural import Presets
        from tools.bench.neural_int8 import compare

        preset = catalog.styles[args.style].neural
        compare(settings.neural_width, settings.neural_height, args.frames, Presets.load()[preset].weights)
        return 0
    frames = [f.image for f in clip_frames(args.frames, settings.width, settings.height)]

    rows = []
    for size in args.sizes.split(","):
        w, h = (int(v) for v in size.split("x"))
        for threads in (1, 2):
            steps = step_timings(settings.replace(neural_width=w, neural_height=h, neural_threads=threads),
                                 catalog, scene, frames)
            rows.append([f"{w}x{h}, {threads} thread(s)", *(steps[k] for k in
                         ("downscale", "network", "upscale", "stabilise+mix", "total")), 1000 / steps["total"]])
    print_table(f"neural repaint per step, p50 ms ({settings.width}x{settings.height} frames, style {args.style})",
                ["working size", "downscale", "network", "upscale", "stabilise+mix", "total", "stage fps"], rows)

    raw, stable = flicker_with_and_without_stabilisation(settings, catalog, scene)
    print(f"\nflicker (output change / input change, nearly still clip): without stabilisation {raw:.2f}, "
          f"with {stable:.2f} → {raw / stable:.1f}x less flicker")

    if not args.no_pipeline:
        print_whole_frame(settings, catalog, scene, frames, args.seconds)
    if args.gallery:
        for path in write_gallery(settings, catalog, args.gallery):
            print("wrote", path)
    return 0


def step_timings(settings, catalog, scene, frames: list[np.ndarray]) -> dict[str, float]:
    """p50 ms of each step of the stage (its own `timings`), over `frames`."""
    from mirror.render.neural import NeuralRepaint

    stage = NeuralRepaint(settings, catalog, clock=itertools.count().__next__)
    samples: dict[str, list[float]] = {}
    try:
        for i, frame in enumerate(frames):
            stage.render(frame, None, scene)
            if i >= 3:  # warm-up: onnxruntime plans its buffers on the first runs
                for step, seconds in stage.timings().items():
                    samples.setdefault(step, []).append(seconds)
                samples.setdefault("total", []).append(sum(stage.timings().values()))
    finally:
        stage.close()
    return {step: percentile_ms(values, 50) for step, values in samples.items()}


def jittery_clip(count: int = 40, width: int = 640, height: int = 480, seed: int = 0) -> list[np.ndarray]:
    """The photo nearly still: ±1 px of sway and sensor noise (σ = 2 levels), as a webcam sees a
    person standing still. A stable repaint should change about as little as its input does."""
    rng = np.random.default_rng(seed)
    photo = cv2.resize(astronaut(), (height, height), interpolation=cv2.INTER_AREA)
    base = np.full((height, width, 3), 128, np.uint8)
    x0 = (width - height) // 2
    base[:, x0:x0 + height] = photo
    frames = []
    for _ in range(count):
        dx, dy = rng.integers(-1, 2, size=2)
        m = np.float32([[1, 0, dx], [0, 1, dy]])
        moved = cv2.warpAffine(base, m, (width, height), borderMode=cv2.BORDER_REPLICATE)
        noisy = moved.astype(np.float32) + rng.normal(0, 2.0, moved.shape)
        frames.append(np.clip(noisy, 0, 255).astype(np.uint8))
    return frames


def flicker_with_and_without_stabilisation(settings, catalog, scene) -> tuple[float, float]:
    """Flicker scores (see stabilizer.flicker_score) of the repaint on jittery_clip(), without and
    with the stabiliser; the first frames are left out while the stabiliser settles."""
    from mirror.render.neural import NeuralRepaint
    from mirror.render.neural.stabilizer import flicker_score

    inputs = jittery_clip()
    scores = []
    for stabilize in (False, True):
        # A clock that jumps a second per frame: the style's 0.5 s fade-in is over after one frame.
        stage = NeuralRepaint(settings.replace(neural_stabilize=stabilize), catalog, clock=itertools.count().__next__)
        outputs = [stage.render(frame, None, scene).copy() for frame in inputs]  # the stage reuses its buffers
        scores.append(flicker_score(inputs[5:], outputs[5:]))
    return scores[0], scores[1]


def print_whole_frame(settings, catalog, scene, frames: list[np.ndarray], seconds: float = 6.0) -> None:
    """The whole mirror frame as the session runs it (pose + composite on one thread, the neural
    repaint on its own), against the composite alone in the same pipeline, camera at 30 and 60 fps
    (60: the upstream thread runs flat out and competes hardest with the repaint)."""
    from mirror.render.registry import open_stages
    from pose.estimator import PoseEstimator

    rows = []
    other_threads = 2 if settings.neural_threads == 1 else 1
    runs = [(30, ("composite",), settings), (30, ("composite", "neural"), settings),
            # The same with the network's other thread count, to show what the setting is worth.
            (30, ("composite", "neural"), settings.replace(neural_threads=other_threads)),
            (60, ("composite",), settings), (60, ("composite", "neural"), settings)]
    base = {}
    for camera_fps, stage_names, run_settings in runs:
        built = open_stages(run_settings.replace(stages=stage_names), catalog)
        rate = pipeline_rate(built.stages, scene, frames, PoseEstimator, settings.pose_every,
                             seconds=seconds, camera_fps=camera_fps, pose_thread=settings.pose_thread)
        base.setdefault(camera_fps, rate["fps"])
        label = f"{' + '.join(stage_names)}, camera {camera_fps} fps"
        if run_settings.neural_threads != settings.neural_threads:
            label += f", neural_threads={run_settings.neural_threads}"
        rows.append([label, rate["fps"], rate["gap_p50"], rate["gap_p95"], rate["p50"], rate["p95"],
                     ratio(rate["fps"], base[camera_fps])])
    print_table(f"whole mirror frame in the pipeline, {settings.width}x{settings.height} (pose every "
                f"{settings.pose_every} {'in its own thread' if settings.pose_thread else 'inline'}, neural at {settings.neural_width}x{settings.neural_height}, "
                f"{settings.neural_threads} thread)",
                ["stages", "fps out", "frame time p50 ms", "frame time p95 ms", "latency p50 ms", "latency p95 ms",
                 "fps vs composite alone"], rows)
    print("frame time = interval between output frames; latency = camera frame submitted → output frame ready")


def pipeline_rate(stages, scene, frames: list[np.ndarray], pose_factory, pose_every: int, seconds: float = 6.0,
                  camera_fps: float = 60.0, pose_thread: bool = False) -> dict:
    """The real FramePipeline (its threads, its slots), fed by a camera at `camera_fps`: output
    fps, and latency from a frame's submission to its output (p50/p95 ms)."""
    from mirror.frames.pipeline import FramePipeline
    from mirror.frames.slot import Snapshot

    video = [av.VideoFrame.from_ndarray(f, format="rgb24").reformat(format="yuv420p") for f in frames]
    h, w = frames[0].shape[:2]
    pipeline = FramePipeline(stages, Snapshot(scene), size=(w, h), pose_factory=pose_factory, pose_every=pose_every,
                             pose_thread=pose_thread)
    latencies: list[float] = []
    arrivals: list[float] = []
    stop = threading.Event()

    def drain() -> None:
        while not stop.is_set():
            frame = pipeline.output.take(timeout=0.05)
            if frame is not None:
                arrivals.append(time.monotonic())
                latencies.append(arrivals[-1] - frame.received_at)

    try:
        pipeline.submit(video[0])
        pipeline.output.take(timeout=30)  # warm-up frame
        reader = threading.Thread(target=drain)
        reader.start()
        started, i = time.monotonic(), 0
        while time.monotonic() - started < seconds:
            pipeline.submit(video[i % len(video)])
            i += 1
            time.sleep(max(0.0, started + i / camera_fps - time.monotonic()))
        elapsed = time.monotonic() - started
        stop.set()
        reader.join()
    finally:
        pipeline.close()
    gaps = np.diff(arrivals) if len(arrivals) > 1 else []
    return {"fps": len(latencies) / elapsed, "p50": percentile_ms(latencies, 50), "p95": percentile_ms(latencies, 95),
            "gap_p50": percentile_ms(gaps, 50), "gap_p95": percentile_ms(gaps, 95)}


def write_gallery(settings, catalog, folder: Path, width: int = 320) -> list[Path]:
    """Each neural preset over the photo as the camera frames it, and the 26 learned styles."""
    from tools.commands.snapshot import save_png
    from mirror.render.neural import NeuralRepaint
    from mirror.render.neural.models import NUM_LEARNED, StyleNetwork
    from world import Scene

    photo = next(clip_frames(1, settings.width, settings.height)).image
    stage = NeuralRepaint(settings, catalog, clock=itertools.count().__next__)
    written = []
    styles = {s.neural: s.id for s in catalog.styles.values() if s.neural}
    for preset in stage.presets.presets:
        scene = Scene.empty().edit(style=styles.get(preset))
        if scene.style is None:
            continue
        stage.render(photo, None, scene)
        path = folder / f"neural_{preset}.png"
        save_png(stage.render(photo, None, scene), path, width)
        written.append(path)

    # Contact sheet: the 26 learned styles at the stage's working size, 7 per row, index in a corner.
    network = StyleNetwork(threads=settings.neural_threads)
    tile_w, tile_h = stage.size
    small = cv2.resize(photo, stage.size, interpolation=cv2.INTER_AREA)
    x = np.ascontiguousarray((small.astype(np.float32) / 255).transpose(2, 0, 1)[None])
    tiles = [small]
    for index in range(NUM_LEARNED):
        weights = np.zeros(NUM_LEARNED, np.float32)
        weights[index] = 1
        out = network(x, weights)[0].transpose(1, 2, 0)
        tiles.append((np.clip(out, 0, 1) * 255 + 0.5).astype(np.uint8))
    columns = 7
    sheet = np.full((4 * (tile_h + 4) + 4, columns * (tile_w + 4) + 4, 3), 255, np.uint8)
    for n, tile in enumerate(tiles):
        r, c = divmod(n, columns)
        y0, x0 = 4 + r * (tile_h + 4), 4 + c * (tile_w + 4)
        sheet[y0:y0 + tile_h, x0:x0 + tile_w] = tile
        label = "photo" if n == 0 else str(n - 1)
        cv2.putText(sheet, label, (x0 + 4, y0 + 18), cv2.FONT_HERSHEY_SIMPLEX, 0.55, (0, 0, 0), 3, cv2.LINE_AA)
        cv2.putText(sheet, label, (x0 + 4, y0 + 18), cv2.FONT_HERSHEY_SIMPLEX, 0.55, (255, 255, 255), 1, cv2.LINE_AA)
    path = folder / "neural_styles.png"
    save_png(sheet, path, 800)
    written.append(path)
    return written
