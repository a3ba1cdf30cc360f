"""`mirror bench diffusion`: our one-step frame against diffusers' own pipeline, same components, one run.

    PYTHONPATH=. python -m mirror.render.diffusion.bench --device cuda --size 512 [--controlnet]
    mirror bench diffusion --device cpu --size 256 --frames 3

Both sides go uint8 camera frame in → uint8 frame out at the camera's size, one denoising step at
the same timestep, on the same UNet / TAESD / text encoder (/ ControlNet) objects:
  diffusers   StableDiffusion(ControlNet)Img2ImgPipeline, num_inference_steps=2 with strength 0.5
              and trailing spacing (= one step at t = 499), guidance_scale=0; the frame resized to
              the working size and back with torch. Called as documented, with the prompt text
              (the pipeline encodes it every call), and again with prompt_embeds encoded once.
  ours        step.py through runner.py (CUDA: pinned copies, side stream, CUDA graph).
Rows: fps, per-frame p50/p95 (and on the CPU the process's CPU time per frame, which a busy
machine disturbs far less than wall time; run --threads 1 there), peak memory (CUDA: max_memory_allocated during a call; CPU: the
process's peak RSS, models included, the same for every row), the ratio, and one frame of ours
part by part (CUDA events on CUDA, perf_counter on the CPU). The sides run interleaved, frame by
frame, so a busy machine slows them alike.

Without --diffusion-model the models are the real architectures (SD-Turbo UNet, TAESD, OpenCLIP
ViT-H text encoder, a ControlNet made from the UNet) with random weights: the figures measure
speed only. Imports torch, diffusers, transformers and numpy only, so it runs on a bare GPU box.
"""
from __future__ import annotations

import argparse
import platform
import resource
import sys
import time
from typing import Callable

import numpy as np
import torch

from mirror.render.diffusion.config import TINY, DiffusionConfig
from mirror.render.diffusion.models import DiffusionModels, load, real_architectures, tiny
from mirror.render.diffusion.prompt import PromptEncoder
from mirror.render.diffusion.runner import StepRunner
from mirror.render.diffusion.step import MIN_CONFIDENCE
from pose.openpose import NUM_OPENPOSE_POINTS, OpenPosePoint

PROMPT = ("a person holding a blue sword with some palm trees, in a medieval castle throne room, "
          "Game of Thrones, torches and banners, cinematic lighting, in the style of Van Gogh's Starry Night")
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


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--device", default="auto", help="cuda, cpu or auto (cuda when there is one)")
    parser.add_argument("--size", type=int, default=512, help="square working size, a multiple of 64")
    parser.add_argument("--controlnet", action="store_true", help="condition on a pose through the ControlNet")
    parser.add_argument("--frames", type=int, default=50, help="measured frames per row")
    parser.add_argument("--warmup", type=int, default=1, help="frames run before measuring each row")
    parser.add_argument("--diffusion-model", default="",
                        help="a model directory (real weights) or 'tiny'; default: real architectures, random weights")
    parser.add_argument("--dtype", default="auto", help="auto (fp16 on cuda, fp32 on cpu), fp16, bf16, fp32")
    parser.add_argument("--no-compile", dest="compile", action="store_false", help="CUDA: run ours without the graph")
    parser.add_argument("--camera", default="640x480", help="camera frame size WxH")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=0, help="CPU: torch threads (default: torch's choice)")


def run(args: argparse.Namespace) -> int:
    width, height = (int(v) for v in args.camera.lower().split("x"))
    config = DiffusionConfig(model=args.diffusion_model, device=args.device, size=args.size,
                             controlnet=args.controlnet, dtype=args.dtype, compile=args.compile, seed=args.seed,
                             frame_width=width, frame_height=height)
    problems = config.problems()
    if problems:
        print(f"bench diffusion: {problems[0]}", file=sys.stderr)
        return 2
    device = config.torch_device()
    dtype = config.torch_dtype(device)
    torch.manual_seed(args.seed)
    if args.threads:
        torch.set_num_threads(args.threads)
    _print_header(config, device, dtype, width, height)

    started = time.perf_counter()
    models = _models(config, device, dtype)
    print(f"models ready in {time.perf_counter() - started:.1f} s")
    frames = camera_frames(args.warmup + args.frames, width, height, args.seed)
    keypoints = [standing_keypoints(width, height, i) for i in range(len(frames))]

    runner = StepRunner(models, config, (height, width))
    embedding = PromptEncoder(models.tokenizer, models.text_encoder)(PROMPT)
    runner(frames[0], keypoints[0], embedding)
    pipeline = diffusers_pipeline(models)
    sides = {"ours (step + runner)": lambda i: runner(frames[i], keypoints[i], None)}
    for label, prompt in (("diffusers pipeline, prompt text", PROMPT),
                          ("diffusers pipeline, prompt_embeds cached", embedding)):
        call = diffusers_frame(pipeline, models, config, prompt)
        sides[label] = lambda i, call=call: call(frames[i], keypoints[i])
    rows = _measure(sides, args.warmup, args.frames, device)
    parts = runner.profile(frames[-1], keypoints[-1])

    _print_rows(rows, device)
    _print_parts(parts, device)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mirror.render.diffusion.bench", description=__doc__.split("\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add_arguments(parser)
    return run(parser.parse_args(argv))


# ---- the two sides ---------------------------------------------------------------------------------

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


def diffusers_frame(pipeline, models: DiffusionModels, config: DiffusionConfig,
                    prompt: str | torch.Tensor) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """uint8 frame (+ keypoints) → uint8 frame through the pipeline: one step at our timestep."""
    from gpu_kernels.pose_map import draw_pose_map

    device, dtype, s = models.device, models.dtype, config.size
    steps = 2  # with strength 0.5 and trailing spacing: timesteps (999, 499), the pipeline runs 499 only
    generator = torch.Generator(device).manual_seed(config.seed)
    text = dict(prompt=prompt) if isinstance(prompt, str) else dict(prompt_embeds=prompt)
    scale = torch.tensor([s / config.frame_width, s / config.frame_height, 1.0])

    @torch.inference_mode()
    def frame(image: np.ndarray, keypoints: np.ndarray) -> np.ndarray:
        h, w = image.shape[:2]
        x = torch.from_numpy(image).to(device).permute(2, 0, 1)[None].float() / 255  # (1, 3, H, W) in [0, 1]
        x = torch.nn.functional.interpolate(x, size=(s, s), mode="bilinear", align_corners=False)
        extra = {}
        if models.controlnet is not None:
            kp = (torch.from_numpy(keypoints) * scale).to(device)
            pose_map = draw_pose_map(kp, (s, s), 4.0 * s / 512, 4.0 * s / 512, MIN_CONFIDENCE, dtype=dtype)
            extra = dict(control_image=pose_map, controlnet_conditioning_scale=config.controlnet_scale)
        result = pipeline(image=x, strength=config.strength, num_inference_steps=steps, guidance_scale=0.0,
                          generator=generator, output_type="pt", **text, **extra).images  # (1, 3, S, S) in [0, 1]
        y = torch.nn.functional.interpolate(result.float(), size=(h, w), mode="bilinear", align_corners=False)
        return (y[0].permute(1, 2, 0) * 255 + 0.5).clamp(0, 255).to(torch.uint8).cpu().numpy()

    return frame


# ---- inputs ------------------------------------------------------------------------------------------

def camera_frames(count: int, width: int, height: int, seed: int = 0) -> list[np.ndarray]:
    """Distinct uint8 frames: a colour gradient drifting a few pixels per frame, plus sensor noise."""
    rng = np.random.default_rng(seed)
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    frames = []
    for i in range(count):
        shift = 3.0 * i
        rgb = np.stack([(xs + shift) / width, ys / height, 1.0 - (xs + ys + shift) / (width + height)], axis=-1)
        noisy = rgb * 255 + rng.normal(0, 2.0, rgb.shape)
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

def _models(config: DiffusionConfig, device: torch.device, dtype: torch.dtype) -> DiffusionModels:
    if config.model == TINY:
        return tiny(device, dtype, seed=config.seed, controlnet=config.controlnet)
    if config.model:
        return load(config.model, device, dtype, controlnet=config.controlnet)
    return real_architectures(device, dtype, seed=config.seed, controlnet=config.controlnet)


def _measure(sides: dict[str, Callable[[int], np.ndarray]], warmup: int, count: int,
             device: torch.device) -> list[tuple[str, dict[str, float]]]:
    """Each side on the same frames, interleaved frame by frame in rotating order, so a change of
    load on the machine hits every side alike. Peak memory: per call on CUDA; the process's peak RSS on the CPU."""
    for i in range(warmup):
        for side in sides.values():
            side(i)
    times: dict[str, list[float]] = {label: [] for label in sides}
    cpu_times: dict[str, list[float]] = {label: [] for label in sides}
    peaks = dict.fromkeys(sides, 0.0)
    order = list(sides.items())
    for i in range(warmup, warmup + count):
        turn = order[i % len(order):] + order[:i % len(order)]  # who goes first rotates too
        for label, side in turn:
            if device.type == "cuda":
                torch.cuda.synchronize(device)
                torch.cuda.reset_peak_memory_stats(device)
            started, cpu_started = time.perf_counter(), time.process_time()
            side(i)  # returns a host uint8 frame: the device work of this frame is done
            times[label].append(time.perf_counter() - started)
            cpu_times[label].append(time.process_time() - cpu_started)
            if device.type == "cuda":
                peaks[label] = max(peaks[label], torch.cuda.max_memory_allocated(device) / 2**30)
            else:
                peaks[label] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # KiB on Linux
    return [(label, {"fps": len(t) / sum(t), "p50": float(np.percentile(t, 50)) * 1e3,
                     "p95": float(np.percentile(t, 95)) * 1e3, "peak_gib": peaks[label],
                     "cpu_p50": float(np.percentile(cpu_times[label], 50)) * 1e3})
            for label, t in times.items()]


def _print_header(config: DiffusionConfig, device: torch.device, dtype: torch.dtype, width: int, height: int) -> None:
    import diffusers
    import transformers

    if device.type == "cuda":
        machine = torch.cuda.get_device_name(device)
    else:
        machine = f"{platform.processor() or platform.machine()} CPU, {torch.get_num_threads()} threads"
    if not config.model:
        weights = ("RANDOM WEIGHTS (the real architectures: SD-Turbo UNet, TAESD, OpenCLIP ViT-H text encoder, "
                   "a ControlNet from the UNet): these figures measure speed only")
    elif config.model == TINY:
        weights = "RANDOM WEIGHTS (the tiny models): these figures measure the plumbing only"
    else:
        weights = f"weights from {config.model}"
    print(f"bench diffusion on {machine}: torch {torch.__version__}, diffusers {diffusers.__version__}, "
          f"transformers {transformers.__version__}")
    print(weights)
    print(f"{width}x{height} uint8 camera frame → {config.size}² working size → {width}x{height} uint8, "
          f"{str(dtype).removeprefix('torch.')}, one step at t = {config.timestep()}, "
          f"ControlNet {'on' if config.controlnet else 'off'}, "
          f"ours {'as a CUDA graph' if device.type == 'cuda' and config.compile else 'eager'}")


def _print_rows(rows: list[tuple[str, dict[str, float]]], device: torch.device) -> None:
    cpu = device.type == "cpu"
    memory = "peak RSS GiB" if cpu else "peak alloc GiB"
    print(f"\n{'':44s} {'fps':>8s} {'p50 ms':>9s} {'p95 ms':>9s} {memory:>15s}" + ("  CPU-time p50 ms" if cpu else ""))
    for label, row in rows:
        print(f"{label:44s} {row['fps']:8.2f} {row['p50']:9.1f} {row['p95']:9.1f} {row['peak_gib']:15.2f}"
              + (f"  {row['cpu_p50']:16.1f}" if cpu else ""))
    ours = rows[0][1]
    for label, row in rows[1:]:
        line = f"ours / {label}: {ours['fps'] / row['fps']:.2f}x fps"
        if cpu:  # CPU time is work done: steadier than wall time on a shared machine
            line += f", {row['cpu_p50'] / ours['cpu_p50']:.2f}x less CPU time per frame"
        print(line)


def _print_parts(parts: dict[str, float], device: torch.device) -> None:
    how = "CUDA events, eager (not the graph)" if device.type == "cuda" else "perf_counter"
    total = sum(parts.values())
    print(f"\none frame of ours, part by part ({how}):")
    for name, seconds in parts.items():
        print(f"  {name:12s} {seconds * 1e3:9.2f} ms  {100 * seconds / total:5.1f} %")
    print(f"  {'total':12s} {total * 1e3:9.2f} ms")


if __name__ == "__main__":
    sys.exit(main())
