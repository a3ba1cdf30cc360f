"""`mirror bench diffusion --people 1,2,4`: N people stepped at once by our engine against diffusers'
own pipeline stepping the same N frames as one batch, same components, one run.

    mirror bench diffusion --people 1,2,4 --device cuda                  # real architectures, random weights
    mirror bench diffusion --people 1,2 --device cpu --diffusion-model tiny --size 256 --frames 5
    PYTHONPATH=. python -m mirror.render.diffusion.bench --people 1,2,4   # on a bare GPU box

Both sides take N people's uint8 camera frames in and give N uint8 frames out at the camera's
size, one denoising step at the same timestep, each person with their own prompt (and pose), on
the same UNet / TAESD / text encoder (/ ControlNet) objects:
  diffusers  StableDiffusion(ControlNet)Img2ImgPipeline, one call per tick for all N frames:
             num_inference_steps=2 with strength 0.5 and trailing spacing (= one step at t = 499),
             guidance_scale=0, prompt_embeds (N, 77, D) encoded once (its fastest documented use),
             the frames resized to the working size and back with torch.
  ours       the engine's tick (engine.py): N seats, put → engine.step → take (on CUDA the graph
             captured at start-up, pinned copies, one blocking wait).
Rows, for each N and ControlNet off / on: per-person fps (N / tick time), tick p50 / p95 ms, peak
memory (CUDA: max_memory_allocated during a tick; CPU: the process's peak RSS, models included,
the same for every row), and ours / diffusers. The sides alternate tick by tick, so a busy machine
slows both alike. Then one tick of ours part by part for the fewest and the most people (eager:
CUDA events on CUDA, perf_counter on the CPU).

Without --diffusion-model the models are the real architectures (SD-Turbo UNet, TAESD, OpenCLIP
ViT-H text encoder, a ControlNet made from the UNet) with random weights: the figures measure
speed only. Imports torch, diffusers, transformers and numpy only, so it runs on a bare GPU box.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import platform
import resource
import sys
import time
from typing import Callable

import numpy as np
import torch

from mirror.render.diffusion import models as model_zoo
from mirror.render.diffusion.config import RANDOM, TINY, DiffusionConfig
from mirror.render.diffusion.engine import DiffusionEngine
from mirror.render.diffusion.models import DiffusionModels
from mirror.render.diffusion.step import MIN_CONFIDENCE, pose_sizes
from pose.openpose import NUM_OPENPOSE_POINTS, OpenPosePoint

PROMPTS = (  # one per person, all different
    "a person holding a blue sword with some palm trees, in a medieval castle throne room, Game of Thrones, "
    "torches and banners, cinematic lighting, in the style of Van Gogh's Starry Night",
    "a person wearing a golden crown in outer space, stars, nebula, cinematic lighting",
    "a person in an ice palace, wearing a red cape, detailed oil painting",
    "a person in a forest at night, anime style, light from the trees",
)
# A person standing in the middle of the frame, as fractions of (width, height).
STANDING = {
    OpenPosePoint.NOSE: (0.50, 0.22), OpenPosePoint.NECK: (0.50, 0.33),
    OpenPosePoint.RIGHT_SHOULDER: (0.42, 0.33), OpenPosePoint.RIGHT_ELBOW: (0.38, 0.48),
    OpenPosePoint.RIGHT_WRIST: (0.36, 0.62), OpenPosePoint.LEFT_SHOULDER: (0.58, 0.33),
    OpenPosePoint.LEFT_ELBOW: (0.62, 0.48), OpenPosePoint.LEFT_WRIST: (0.64, 0.62),
    OpenPosePoint.RIGHT_HIP: (0.45, 0.62), OpenPosePoint.RIGHT_KNEE: (0.45, 0.80),
    OpenPosePoint.RIGHT_ANKLE: (0.45, 0.97), OpenPosePoint.LEFT_HIP: (0.55, 0.62),
    OpenPosePoint.LEFT_KNEE: (0.55, 0.80), OpenPosePoint.LEFT_ANKLE: (0.55, 0.97),
    OpenPosePoint.RIGHT_EYE: (0.48, 0.20), OpenPosePoint.LEFT_EYE: (0.52, 0.20),
    OpenPosePoint.RIGHT_EAR: (0.46, 0.21), OpenPosePoint.LEFT_EAR: (0.54, 0.21),
}
CONTROLNET_MODES = {"off": (False,), "on": (True,), "both": (False, True)}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--people", default="1,2,4", help="how many people at once, comma-separated (default 1,2,4)")
    parser.add_argument("--controlnet", choices=tuple(CONTROLNET_MODES), default="both",
                        help="without the pose ControlNet, with it, or both (default)")
    parser.add_argument("--device", default="auto", help="cuda, cpu or auto (cuda when there is one)")
    parser.add_argument("--size", type=int, default=512,
                        help="working size: about size × size·3/4 pixels in the camera's shape (512: 512x384 at 4:3)")
    parser.add_argument("--frames", type=int, default=50, help="measured ticks per row")
    parser.add_argument("--warmup", type=int, default=2, help="ticks run before measuring each row")
    parser.add_argument("--diffusion-model", default="",
                        help="a model directory (real weights) or 'tiny'; default: real architectures, random weights")
    parser.add_argument("--dtype", default="auto", help="auto (fp16 on cuda, fp32 on cpu), fp16, bf16, fp32")
    parser.add_argument("--no-compile", dest="compile", action="store_false", help="CUDA: run ours without graphs")
    parser.add_argument("--camera", default="640x480", help="every person's camera frame size WxH")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=0, help="CPU: torch threads (default: torch's choice)")
    parser.add_argument("--json", default="", help="also write the results to this file")


def run(args: argparse.Namespace) -> int:
    try:
        result = measure(args, log=print)
    except ValueError as exc:
        print(f"bench diffusion: {exc}", file=sys.stderr)
        return 2
    print_rows(result)
    print_parts(result)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mirror.render.diffusion.bench", description=__doc__.split("\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add_arguments(parser)
    return run(parser.parse_args(argv))


# ---- the measurement -----------------------------------------------------------------------------------

def measure(args: argparse.Namespace, log: Callable[[str], None] = print) -> dict:
    """Every row and the part-by-part ticks, as one JSON-ready dict (also what `mirror check gpu` records)."""
    people = sorted({int(n) for n in str(args.people).split(",") if n.strip()})
    width, height = (int(v) for v in args.camera.lower().split("x"))
    config = DiffusionConfig(model=args.diffusion_model, device=args.device, size=args.size,
                             aspects=(f"{width}:{height}",), max_batch=max(people or [1]), dtype=args.dtype,
                             compile=args.compile, seed=args.seed, frame_width=width, frame_height=height)
    problems = config.problems() + ([] if people and min(people) >= 1 else ["--people must be counts of at least 1"])
    if problems:
        raise ValueError(problems[0])
    device = config.torch_device()
    dtype = config.torch_dtype(device)
    if args.threads:
        torch.set_num_threads(args.threads)
    modes = CONTROLNET_MODES[args.controlnet]
    result = header(config, device, dtype, width, height)
    result.update(people=people, rows=[], parts=[])
    log(result["title"])
    log(result["weights"])
    log(result["what"])

    started = time.perf_counter()
    models = _models(config, device, dtype, controlnet=any(modes))
    log(f"models ready in {time.perf_counter() - started:.1f} s")
    for controlnet in modes:
        these = models if controlnet else dataclasses.replace(models, controlnet=None)
        started = time.perf_counter()
        engine = DiffusionEngine(these, dataclasses.replace(config, controlnet=controlnet))
        log(f"ControlNet {'on' if controlnet else 'off'}: engine ready in {time.perf_counter() - started:.1f} s "
            f"({engine.captures} graphs captured{', failed: ' + '; '.join(engine.capture_failures) if engine.capture_failures else ''})")
        pipeline = diffusers_pipeline(these)
        for n in people:
            rows, parts = _measure_people(engine, pipeline, n, width, height, args, profile=n in (people[0], people[-1]))
            for row in rows:
                result["rows"].append(dict(row, people=n, controlnet=controlnet))
            if parts:
                result["parts"].append({"people": n, "controlnet": controlnet, "seconds": parts})
        result.setdefault("capture_failures", []).extend(engine.capture_failures)
        engine.close()
        del pipeline
    return result


def _measure_people(engine: DiffusionEngine, pipeline, n: int, width: int, height: int, args: argparse.Namespace,
                    profile: bool) -> tuple[list[dict], dict[str, float] | None]:
    count = args.warmup + args.frames
    seats = [engine.seat(args.seed + i) for i in range(n)]
    prompts = [PROMPTS[i % len(PROMPTS)] for i in range(n)]
    clips = [camera_frames(count, width, height, args.seed + i) for i in range(n)]
    poses = [[standing_keypoints(width, height, t + 7 * i) for t in range(count)] for i in range(n)]
    embeddings = torch.cat([engine.encoder(p) for p in prompts])  # (N, 77, D), as the engine has them

    def ours(t: int) -> list[np.ndarray]:
        for i, seat in enumerate(seats):
            seat.put(clips[i][t], poses[i][t], prompts[i])
        engine.step(seats)
        return [seat.take() for seat in seats]

    call = diffusers_frames(pipeline, engine.models, engine.config, engine.config.working_shapes()[0], embeddings)

    def theirs(t: int) -> list[np.ndarray]:
        return call([clip[t] for clip in clips], [pose[t] for pose in poses])

    rows = _interleaved({"ours": ours, "diffusers": theirs}, args.warmup, args.frames, engine.device)
    parts = None
    if profile:
        for i, seat in enumerate(seats):
            seat.put(clips[i][-1], poses[i][-1], prompts[i])
        parts = engine.profile(seats)
    for seat in seats:
        seat.close()
    return rows, parts


# ---- diffusers' side -----------------------------------------------------------------------------------

def diffusers_pipeline(models: DiffusionModels):
    """diffusers' img2img pipeline (with the ControlNet when the models have one) on our components."""
    from diffusers import StableDiffusionControlNetImg2ImgPipeline, StableDiffusionImg2ImgPipeline

    parts = dict(vae=models.vae, text_encoder=models.text_encoder, tokenizer=models.tokenizer, unet=models.unet,
                 scheduler=models.scheduler, safety_checker=None, feature_extractor=None,
                 requires_safety_checker=False)
    if models.controlnet is not None:
        pipeline = StableDiffusionControlNetImg2ImgPipeline(controlnet=models.controlnet, **parts)
    else:
        pipeline = StableDiffusionImg2ImgPipeline(**parts)
    pipeline.set_progress_bar_config(disable=True)
    return pipeline


def diffusers_frames(pipeline, models: DiffusionModels, config: DiffusionConfig, shape: tuple[int, int],
                     embeddings: torch.Tensor) -> Callable[[list[np.ndarray], list[np.ndarray]], list[np.ndarray]]:
    """N uint8 frames (+ keypoints) → N uint8 frames through one pipeline call: one step at our timestep."""
    from gpu_kernels.pose_map import draw_pose_map

    device, dtype = models.device, models.dtype
    w, h = shape
    steps = 2  # with strength 0.5 and trailing spacing: timesteps (999, 499), the pipeline runs 499 only
    generator = torch.Generator(device).manual_seed(config.seed)
    stick, radius = pose_sizes(shape)
    resize = torch.nn.functional.interpolate

    @torch.inference_mode()
    def frames(images: list[np.ndarray], keypoints: list[np.ndarray]) -> list[np.ndarray]:
        camera_h, camera_w = images[0].shape[:2]
        x = torch.from_numpy(np.stack(images)).to(device).permute(0, 3, 1, 2).float() / 255  # (N, 3, H, W) in [0, 1]
        x = resize(x, size=(h, w), mode="bilinear", align_corners=False)
        extra = {}
        if models.controlnet is not None:
            scale = torch.tensor([w / camera_w, h / camera_h, 1.0])
            pose = torch.cat([draw_pose_map((torch.from_numpy(kp) * scale).to(device), (h, w), stick, radius,
                                            MIN_CONFIDENCE, dtype=dtype) for kp in keypoints])  # (N, 3, h, w)
            extra = dict(control_image=pose, controlnet_conditioning_scale=config.controlnet_scale)
        result = pipeline(image=x, strength=config.strength, num_inference_steps=steps, guidance_scale=0.0,
                          generator=generator, output_type="pt", prompt_embeds=embeddings,
                          **extra).images  # (N, 3, h, w) in [0, 1]
        y = resize(result.float(), size=(camera_h, camera_w), mode="bilinear", align_corners=False)
        return list((y.permute(0, 2, 3, 1) * 255 + 0.5).clamp(0, 255).to(torch.uint8).cpu().numpy())

    return frames


# ---- inputs ------------------------------------------------------------------------------------------

def camera_frames(count: int, width: int, height: int, seed: int = 0) -> list[np.ndarray]:
    """Distinct uint8 frames: a colour gradient drifting a few pixels per frame, plus sensor noise."""
    rng = np.random.default_rng(seed)
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    frames = []
    for i in range(count):
        shift = 3.0 * i + 17.0 * seed
        rgb = np.stack([(xs + shift) / width, ys / height, 1.0 - (xs + ys + shift) / (width + height)], axis=-1)
        noisy = (rgb % 1.0) * 255 + rng.normal(0, 2.0, rgb.shape)
        frames.append(np.ascontiguousarray(np.clip(noisy, 0, 255).astype(np.uint8)))
    return frames


def standing_keypoints(width: int, height: int, frame: int = 0) -> np.ndarray:
    """(18, 3) OpenPose keypoints of a person standing mid-frame, swaying a pixel or two."""
    keypoints = np.zeros((NUM_OPENPOSE_POINTS, 3), np.float32)
    sway = 2.0 * np.sin(frame / 5.0)
    for point, (fx, fy) in STANDING.items():
        keypoints[point] = (fx * width + sway, fy * height, 1.0)
    return keypoints


# ---- measuring and printing ---------------------------------------------------------------------------

def _models(config: DiffusionConfig, device: torch.device, dtype: torch.dtype, controlnet: bool) -> DiffusionModels:
    if config.model == TINY:
        return model_zoo.tiny(device, dtype, seed=config.seed, controlnet=controlnet)
    if config.model and config.model != RANDOM:
        return model_zoo.load(config.model, device, dtype, controlnet=controlnet)
    return model_zoo.real_architectures(device, dtype, seed=config.seed, controlnet=controlnet)


def _interleaved(sides: dict[str, Callable[[int], list[np.ndarray]]], warmup: int, count: int,
                 device: torch.device) -> list[dict]:
    """Each side on the same frames, tick by tick in rotating order, so a change of load on the
    machine hits every side alike."""
    for t in range(warmup):
        for side in sides.values():
            side(t)
    times: dict[str, list[float]] = {label: [] for label in sides}
    cpu_times: dict[str, list[float]] = {label: [] for label in sides}
    peaks = dict.fromkeys(sides, 0.0)
    order = list(sides.items())
    for t in range(warmup, warmup + count):
        turn = order[t % len(order):] + order[:t % len(order)]
        for label, side in turn:
            if device.type == "cuda":
                torch.cuda.synchronize(device)
                torch.cuda.reset_peak_memory_stats(device)
            started, cpu_started = time.perf_counter(), time.process_time()
            side(t)  # returns host uint8 frames: the tick's device work is done
            times[label].append(time.perf_counter() - started)
            cpu_times[label].append(time.process_time() - cpu_started)
            if device.type == "cuda":
                peaks[label] = max(peaks[label], torch.cuda.max_memory_allocated(device) / 2**30)
            else:
                peaks[label] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # KiB on Linux
    # A tick hands every person one frame: a person's fps is ticks per second.
    return [{"side": label, "fps_per_person": len(t) / sum(t),
             "tick_p50_ms": float(np.percentile(t, 50)) * 1e3, "tick_p95_ms": float(np.percentile(t, 95)) * 1e3,
             "peak_gib": peaks[label], "cpu_p50_ms": float(np.percentile(cpu_times[label], 50)) * 1e3}
            for label, t in times.items()]


def header(config: DiffusionConfig, device: torch.device, dtype: torch.dtype, width: int, height: int) -> dict:
    import diffusers
    import transformers

    if device.type == "cuda":
        machine = torch.cuda.get_device_name(device)
    else:
        machine = f"{platform.processor() or platform.machine()} CPU, {torch.get_num_threads()} threads"
    if not config.model or config.model == RANDOM:
        weights = ("RANDOM WEIGHTS (the real architectures: SD-Turbo UNet, TAESD, OpenCLIP ViT-H text encoder, "
                   "a ControlNet from the UNet): these figures measure speed only")
    elif config.model == TINY:
        weights = "RANDOM WEIGHTS (the tiny models): these figures measure the plumbing only"
    else:
        weights = f"weights from {config.model}"
    w, h = config.working_shapes()[0]
    graphs = device.type == "cuda" and config.compile
    return {
        "device": machine, "measured_on": device.type, "torch": torch.__version__,
        "diffusers": diffusers.__version__, "transformers": transformers.__version__,
        "dtype": str(dtype).removeprefix("torch."), "camera": [width, height], "working": [w, h],
        "timestep": config.timestep(), "model": config.model or RANDOM, "graphs": graphs,
        "title": f"bench diffusion on {machine}: torch {torch.__version__}, diffusers {diffusers.__version__}, "
                 f"transformers {transformers.__version__}",
        "weights": weights,
        "what": f"{width}x{height} uint8 camera frames → {w}x{h} working size → {width}x{height} uint8, "
                f"{str(dtype).removeprefix('torch.')}, one step at t = {config.timestep()}, each person their own "
                f"prompt and pose; ours {'as CUDA graphs' if graphs else 'eager'}",
    }


def print_rows(result: dict) -> None:
    cpu = result["measured_on"] == "cpu"
    memory = "peak RSS GiB" if cpu else "peak alloc GiB"
    print(f"\n{'people':>6s}  {'ControlNet':10s}  {'side':10s}  {'fps/person':>10s}  {'tick p50 ms':>11s}  "
          f"{'tick p95 ms':>11s}  {memory:>14s}  {'ours/diffusers':>14s}")
    rows = result["rows"]
    for row in rows:
        ratio = ""
        if row["side"] == "diffusers":
            ours = next(r for r in rows if r["side"] == "ours" and r["people"] == row["people"]
                        and r["controlnet"] == row["controlnet"])
            ratio = f"{ours['fps_per_person'] / row['fps_per_person']:.2f}x"
        print(f"{row['people']:6d}  {'on' if row['controlnet'] else 'off':10s}  {row['side']:10s}  "
              f"{row['fps_per_person']:10.2f}  {row['tick_p50_ms']:11.1f}  {row['tick_p95_ms']:11.1f}  "
              f"{row['peak_gib']:14.2f}  {ratio:>14s}")


def print_parts(result: dict) -> None:
    how = "CUDA events, eager (not the graph)" if result["measured_on"] == "cuda" else "perf_counter"
    for entry in result["parts"]:
        parts = entry["seconds"]
        total = sum(parts.values())
        print(f"\none tick of ours, {entry['people']} people, ControlNet {'on' if entry['controlnet'] else 'off'}, "
              f"part by part ({how}):")
        for name, seconds in parts.items():
            print(f"  {name:12s} {seconds * 1e3:9.2f} ms  {100 * seconds / total:5.1f} %")
        print(f"  {'total':12s} {total * 1e3:9.2f} ms")


if __name__ == "__main__":
    sys.exit(main())
