"""`mirror bench pipeline`: the server's frame path in-process, without WebRTC.

For each set of render stages, the astronaut test clip is fed as decoded camera frames
(yuv420p, as aiortc's decoder hands them over) (a) paced at the camera rate, to measure the
latency a person sees (receive → ready for the encoder), and (b) as fast as possible, to
measure the throughput ceiling. Every row is compared with passthrough measured in the same run.
With --record, each stage set also runs while a clip records its output (mirror/clips/recorder.py:
H.264 + AAC in the recorder's own thread), so what recording costs the live mirror is measured
beside the same path without it.
"""
from __future__ import annotations

import argparse
import shutil
import threading
import time

import av

from tools.bench.report import percentile_ms, print_table, ratio
from mirror.frames.pipeline import FramePipeline
from mirror.frames.slot import Snapshot
from mirror.server.settings import Settings
from mirror.render.registry import open_stages
from tools.testclip import clip_frames

DEFAULT_SETS = ("passthrough", "skeleton", "composite", "composite,neural")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seconds", type=float, default=6.0, help="paced run length per stage set")
    parser.add_argument("--fps", type=float, default=30.0, help="camera rate for the paced run")
    parser.add_argument("--sets", default=";".join(DEFAULT_SETS),
                        help="stage sets separated by ';', stages by ','")
    parser.add_argument("--pose", default="thread,inline",
                        help="pose modes to run each set with: thread (beside the frame path), inline")
    parser.add_argument("--record", action="store_true",
                        help="run each set again while recording its output to an MP4 (issue 22's check)")
    parser.add_argument("--say", default="put me in game of thrones, give me a sword and a crown, make it look like van gogh",
                        help="command that builds the scene to render")


def run(args: argparse.Namespace) -> int:
    from pose.estimator import PoseEstimator
    from world import Catalog, Interpreter, Scene

    catalog = Catalog.load()
    scene = Interpreter(catalog).apply(Scene.empty(), args.say).scene
    base = Settings.load()
    clip = [av.VideoFrame.from_ndarray(f.image, format="rgb24").reformat(format="yuv420p")
            for f in clip_frames(90, base.width, base.height)]
    print(f"scene: {scene.prompt(catalog)}")
    rows, baseline = [], None
    modes = [m.strip() for m in args.pose.split(",") if m.strip()]
    if not modes or set(modes) - {"thread", "inline"}:
        raise SystemExit(f"--pose takes thread and/or inline, not {args.pose!r}")
    runs = []
    for stage_set in args.sets.split(";"):
        stages = tuple(s for s in stage_set.split(",") if s)
        for mode in modes if stages not in (("passthrough",), ()) else modes[:1]:
            for record in (False, True) if args.record else (False,):
                runs.append((stage_set, stages, mode, record))
    for stage_set, stages, mode, record in runs:
        settings = base.replace(stages=stages)
        built = open_stages(settings, catalog)
        for notice in built.notices:
            print("note:", notice)
        uses_pose = any(s.needs.pose or s.needs.matte for s in built.stages)
        label = (f"{stage_set}, pose {mode}" if uses_pose else stage_set) + (", recording" if record else "")
        pipeline = FramePipeline(built.stages, Snapshot(scene), size=(settings.width, settings.height),
                                 pose_factory=PoseEstimator, pose_every=settings.pose_every,
                                 pose_thread=mode == "thread")
        recorder = _recorder() if record else None
        try:
            paced = _drive(pipeline, clip, args.seconds, interval=1 / args.fps, recorder=recorder)
            flat_out = _drive(pipeline, clip, max(2.0, args.seconds / 2), interval=0.0, recorder=recorder)
        finally:
            pipeline.close()
            if recorder is not None:
                recorder.stop()
                recorder.join()
                shutil.rmtree(recorder.path.parent, ignore_errors=True)
        fps, p50, p95 = paced["fps"], percentile_ms(paced["latency"], 50), percentile_ms(paced["latency"], 95)
        if baseline is None:
            baseline = (flat_out["fps"], p50, p95)
        rows.append([label, f"{fps:.1f}", f"{flat_out['fps']:.1f}", ratio(flat_out["fps"], baseline[0]),
                     p50, p95, ratio(p95, baseline[2]), paced["dropped"]])
    print_table(
        f"frame pipeline, {base.width}x{base.height}, camera at {args.fps:.0f} fps (paced) and unpaced, "
        f"pose every {base.pose_every}",
        ["stages", "fps paced", "fps max", "max vs 1st", "p50 ms", "p95 ms", "p95 vs 1st", "dropped"],
        rows,
    )
    print("\nlatency = frame received → frame ready for the encoder (RGB conversions, render stages, and pose when "
          "inline; with the pose thread a frame takes the newest finished pose and does not wait for it).")
    return 0


def _recorder():
    """A clip recording to a temporary file for as long as the run lasts."""
    import tempfile
    from pathlib import Path

    from mirror.clips.recorder import ClipRecorder

    folder = Path(tempfile.mkdtemp(prefix="mirror-bench-clip-"))
    return ClipRecorder(folder / "bench.mp4", max_seconds=3600, on_done=lambda result: None)


def _drive(pipeline: FramePipeline, clip: list[av.VideoFrame], seconds: float, interval: float,
           recorder=None) -> dict:
    latencies: list[float] = []
    outputs = 0
    stop = threading.Event()

    def drain() -> None:
        nonlocal outputs
        while not stop.is_set():
            frame = pipeline.output.take(timeout=0.05)
            if frame is not None:
                latencies.append(time.monotonic() - frame.received_at)
                outputs += 1
                if recorder is not None:  # as the output track hands each sent frame to the recorder
                    recorder.add_video(frame.output, time.monotonic())

    # Warm up (first mediapipe/onnx calls are slow) before measuring.
    pipeline.submit(clip[0])
    pipeline.output.take(timeout=30)
    dropped_before = pipeline.input.dropped
    reader = threading.Thread(target=drain)
    reader.start()
    started = time.monotonic()
    i = 0
    while time.monotonic() - started < seconds:
        pipeline.submit(clip[i % len(clip)])
        i += 1
        if interval:
            time.sleep(max(0.0, started + i * interval - time.monotonic()))
        else:
            # Unpaced: keep the input slot full without spinning a core.
            time.sleep(0.001)
    elapsed = time.monotonic() - started
    time.sleep(0.3)
    stop.set()
    reader.join()
    return {"fps": outputs / elapsed, "latency": latencies[2:], "dropped": pipeline.input.dropped - dropped_before}
