"""`mirror bench composite`: the composite renderer's speed on the astronaut clip, in-process.

Rows, all measured in this run on the same frames:
  passthrough            the frame returned as is (the floor; latencies are also shown above it)
  pose only              pose + matte every frame, passthrough render (the perception cost)
  render only            the stages with keypoints computed beforehand (rendering cost alone)
  full, pose every N     pose (+ matte) every N-th frame, the stages every frame (what a session does)
The scene: a theme, two props and a style. The stage list comes from settings `stages` (default
here: composite), so another stage (neural) is benchmarked by adding it: --stages composite,neural.
`--objects` swaps the props for six library objects (issue 31): one at each kind of place (a hand,
the head, a shoulder, beside the person, behind them, and copies all around), one recoloured.
"""
from __future__ import annotations

import argparse
import logging
import time

import numpy as np

from tools.bench.report import percentile_ms, print_table, ratio
from mirror.server.settings import Settings
from mirror.render.passthrough import Passthrough
from mirror.render.registry import open_stages
from tools.testclip import clip_frames

log = logging.getLogger(__name__)

# Six library objects at six kinds of place, one recoloured: what `--objects` draws.
SIX_OBJECTS = ("pizza", "jack_o_lantern@head", "cat@beside", "t_rex:purple", "palm_tree@behind", "balloon@around")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--style", default="anime", help="style id (any catalog style); 'none' for no style")
    parser.add_argument("--theme", default="game_of_thrones", help="theme id; 'none' for the camera background")
    parser.add_argument("--props", default="sword,crown",
                        help="comma-separated prop ids (library objects too), each kind[:colour][@anchor]")
    parser.add_argument("--objects", action="store_true",
                        help=f"six library objects instead of --props: {','.join(SIX_OBJECTS)}")
    parser.add_argument("--frames", type=int, default=150, help="frames per row")
    parser.add_argument("--stages", default=None, help="render stages, comma-separated (default: composite)")
    parser.add_argument("--pose-every", default="1,2", help="comma-separated pose_every values for the full rows")


def build_scene(catalog, theme: str | None, style: str | None, props: list[str]):
    """props: "kind[:colour][@anchor]", hand-made props or library objects."""
    from world import Prop, Scene

    entries = []
    for spec in props:
        spec, _, anchor = spec.partition("@")
        kind, _, color = spec.partition(":")
        entries.append(Prop(kind=kind, anchor=anchor or catalog.prop(kind).anchor, color=color or None))
    return Scene.empty().edit(theme=theme, style=style, props=tuple(entries))


def run(args: argparse.Namespace) -> int:
    from pose.estimator import PoseEstimator
    from world import Catalog

    catalog = Catalog.load()
    none = ("", "none")
    style = catalog.styles.get(args.style)
    # A style with a neural preset is benchmarked the way a session runs it: composite + neural.
    stages_arg = args.stages or ("composite,neural" if style and style.neural else "composite")
    settings = Settings.load({"stages": tuple(s for s in stages_arg.split(",") if s)})
    scene = build_scene(catalog, None if args.theme in none else args.theme,
                        None if args.style in none else args.style,
                        list(SIX_OBJECTS) if args.objects else [p for p in args.props.split(",") if p])
    w, h = settings.width, settings.height
    frames = [f.image for f in clip_frames(args.frames, w, h)]
    stamps = [i / 30.0 for i in range(len(frames))]

    estimator = PoseEstimator()
    try:
        for image, t in zip(frames[:5], stamps):  # warm up: the first MediaPipe calls are slow
            estimator.estimate(image, t)
        poses = []
        started = time.perf_counter()
        pose_times = []
        for image, t in zip(frames, stamps):
            t0 = time.perf_counter()
            poses.append(estimator.estimate(image, 100.0 + t))
            pose_times.append(time.perf_counter() - t0)
        pose_fps = len(frames) / (time.perf_counter() - started)
    finally:
        estimator.close()

    rows = []
    base = _time_stages([Passthrough()], frames, poses, scene, every=None, estimator_factory=None)
    rows.append(["passthrough", base["fps"], base["p50"], base["p95"]])
    rows.append(["pose + matte only", pose_fps, percentile_ms(pose_times, 50), percentile_ms(pose_times, 95)])

    built = open_stages(settings, catalog)
    for notice in built.notices:
        print("note:", notice)
    try:
        render = _time_stages(built.stages, frames, poses, scene, every=None, estimator_factory=None)
        rows.append([f"render only ({stages_arg})", render["fps"], render["p50"], render["p95"]])
        for every in [int(e) for e in args.pose_every.split(",") if e]:
            full = _time_stages(built.stages, frames, poses, scene, every=every, estimator_factory=PoseEstimator)
            rows.append([f"full, pose every {every}", full["fps"], full["p50"], full["p95"]])
        piped = _time_pipelined(built.stages, frames, scene, PoseEstimator)
        rows.append(["pose ∥ render (2 threads), pose every 1", piped["fps"], piped["p50"], piped["p95"]])
        stage_timings = {s.name: dict(s.timings()) for s in built.stages}
    finally:
        for stage in built.stages:
            stage.close()

    print(f"scene: theme={scene.theme} style={scene.style} "
          f"props={[' '.join(w for w in (p.color, p.kind) if w) + '@' + p.anchor for p in scene.props]}")
    print_table(f"composite bench, {w}x{h}, {len(frames)} frames per row (astronaut clip)",
                ["row", "fps", "p50 ms", "p95 ms", "p50 − passthrough ms", "fps vs pose+matte only"],
                [[r[0], float(r[1]), float(r[2]), float(r[3]), float(r[2] - base["p50"]), ratio(r[1], pose_fps)]
                 for r in rows])
    for name, steps in stage_timings.items():
        if steps:
            print(f"{name} last frame: " + ", ".join(f"{k} {v * 1000:.1f} ms" for k, v in steps.items()))
    print("\nlatency = one frame's pose (when due) + render stages, on this thread. "
          "30 fps needs p50 < 33 ms at 'full'.")
    if "neural" in settings.stages:
        _neural_section(settings, catalog, scene, frames)
    return 0


def _neural_section(settings, catalog, scene, frames) -> None:
    """The whole mirror frame as the session runs it (pose + composite on one thread, the neural
    repaint on its own), against the composite alone in the same pipeline; and flicker."""
    from tools.bench.neural import flicker_with_and_without_stabilisation, print_whole_frame

    print_whole_frame(settings, catalog, scene, frames)
    raw, stable = flicker_with_and_without_stabilisation(settings, catalog, scene)
    print(f"\nflicker (output change / input change, nearly still clip): without stabilisation {raw:.2f}, "
          f"with {stable:.2f} → {raw / stable:.1f}x less flicker")


def _time_stages(stages, frames, poses, scene, *, every: int | None, estimator_factory) -> dict:
    estimator = estimator_factory() if estimator_factory else None
    try:
        if estimator is not None:
            for image, t in zip(frames[:5], range(5)):
                estimator.estimate(image, t / 30.0)
        for image, pose in zip(frames[:5], poses):  # warm caches (backdrop painting, sprites)
            _render(stages, image, pose, scene)
        times: list[float] = []
        pose = None
        started = time.perf_counter()
        for i, image in enumerate(frames):
            t0 = time.perf_counter()
            if estimator is not None:
                if i % every == 0 or pose is None:
                    pose = estimator.estimate(image, 200.0 + i / 30.0)
            else:
                pose = poses[i]
            _render(stages, image, pose, scene)
            times.append(time.perf_counter() - t0)
        elapsed = time.perf_counter() - started
    finally:
        if estimator is not None:
            estimator.close()
    return {"fps": len(frames) / elapsed, "p50": percentile_ms(times, 50), "p95": percentile_ms(times, 95)}


def _time_pipelined(stages, frames, scene, estimator_factory) -> dict:
    """Pose of frame i+1 on a second thread while frame i renders: what a pipeline that gives the
    renderer its own thread (own_thread=True) would reach on 2 cores. Latency = pose + render."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as pool:
        estimator = pool.submit(estimator_factory).result()  # MediaPipe graphs stay on their thread
        try:
            for i, image in enumerate(frames[:5]):
                pool.submit(estimator.estimate, image, 300.0 + i / 30.0).result()
            times: list[float] = []
            started = time.perf_counter()
            pending = pool.submit(estimator.estimate, frames[0], 400.0)
            t_pose = time.perf_counter()
            for i, image in enumerate(frames):
                pose = pending.result()
                if i + 1 < len(frames):
                    t_next = time.perf_counter()
                    pending = pool.submit(estimator.estimate, frames[i + 1], 400.0 + (i + 1) / 30.0)
                _render(stages, image, pose, scene)
                times.append(time.perf_counter() - t_pose)
                t_pose = t_next
            elapsed = time.perf_counter() - started
        finally:
            pool.submit(estimator.close).result()
    return {"fps": len(frames) / elapsed, "p50": percentile_ms(times, 50), "p95": percentile_ms(times, 95)}


def _render(stages, image: np.ndarray, pose, scene) -> np.ndarray:
    out = image
    for stage in stages:
        out = stage.render(out, pose, scene)
    return out
