"""`mirror check gpu`: the whole GPU proof in one command, what anyone with an NVIDIA GPU runs first.

    mirror check gpu                          # sized for 8 minutes at most on one H100; one table + JSON
    mirror check gpu --device cpu             # the same path on this CPU with tiny models, CUDA parts skipped
    mirror check gpu --device cpu --quick     # seconds: what CI runs
    PYTHONPATH=. python -m tools.cli check gpu   # a bare GPU box (torch only; README: the wheels to bring)

Sections (rows of the one table printed at the end, and entries of the JSON file, --json):
  environment   GPU, driver, CUDA, torch, triton, diffusers, transformers, aiortc; a missing package named
  kernels       every Triton kernel against its torch reference on the device (CUDA: compiled; CPU:
                Triton's interpreter), over odd sizes, strides, batches and dtypes
  kernel bench  gpu_kernels.bench: Triton against eager (and torch.compile with --compile), GB/s
                against the device's own copy bandwidth
  diffusion     mirror.render.diffusion.bench for 1, 2 and 4 people, ControlNet off and on, ours against
                diffusers' pipeline in the same run (CUDA: the real architectures with random weights,
                512x384 from a 640x480 camera; CPU: the tiny models)
  live          where the mirror's server stack imports (aiortc, av, mediapipe, starlette): `mirror
                serve` with composite + diffusion and 1, 2, 4 outside aiortc clients at once, per-person
                fps and glass-to-glass, and how many times the server loaded the engine (1 when the
                engine is opened once per process)
Exit status 1 when a kernel disagrees with its reference or a section fails to run; a skipped
section (no CUDA, a missing package, --quick) says why and fails nothing. Only torch, triton,
numpy (and diffusers, transformers for the diffusion section) are imported outside the live part.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time
import traceback
from pathlib import Path
from typing import Callable

WHEELS_HINT = ("pip install --no-index --find-links WHEELS diffusers==0.42.1 transformers==5.25.0 "
               "(README: the generative mirror on a bare GPU box)")
LIVE_MODULES = ("aiortc", "av", "mediapipe", "starlette", "uvicorn", "httpx", "psutil")
STEP_TIMEOUT_S = 120  # one live step (N clients, 6 flashes each): ~15 s when it works


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("what", choices=("gpu",), help="what to check (gpu: the generative path end to end)")
    parser.add_argument("--device", choices=("cuda", "cpu"), default=None, help="default: cuda when there is one")
    parser.add_argument("--quick", action="store_true",
                        help="small shapes, a frame or two per row, no live server: seconds (CI)")
    parser.add_argument("--json", default="mirror-check-gpu.json", help="where to write the results")
    parser.add_argument("--people", default="1,2,4", help="people at once in the diffusion bench and the live part")
    parser.add_argument("--compile", action="store_true", help="kernel bench: also time torch.compile of each "
                        "reference (~20 s more per kernel on a GPU)")
    parser.add_argument("--no-live", dest="live", action="store_false", help="skip the live server")


class Report:
    """Sections of rows; each row: item, result, figures, and whether it failed."""

    def __init__(self) -> None:
        self.sections: dict[str, dict] = {}
        self.failed = False

    def section(self, name: str, **data) -> dict:
        """A new section; `data`: what its source reported in full (the benches' own JSON), kept beside its rows."""
        self.sections[name] = {"rows": [], "data": data}
        return self.sections[name]

    def row(self, section: str, item: str, result: str, figures: str = "", failed: bool = False, **data) -> None:
        self.sections[section]["rows"].append({"item": item, "result": result, "figures": figures,
                                               "failed": failed, **data})
        self.failed |= failed

    def skip(self, section: str, why: str) -> None:
        self.section(section)
        self.sections[section]["skipped"] = why
        self.row(section, "-", "skipped", why)

    def error(self, section: str, exc: BaseException) -> None:
        self.sections.setdefault(section, {"rows": [], "data": {}})
        self.sections[section]["error"] = traceback.format_exc(limit=6)
        self.row(section, "-", "FAILED", f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"[:160],
                 failed=True)

    def print(self) -> None:
        lines = [("section", "item", "result", "figures")]
        for name, section in self.sections.items():
            for row in section["rows"]:
                lines.append((name, row["item"], row["result"], row["figures"]))
        widths = [max(len(line[i]) for line in lines) for i in range(3)]
        print()
        for i, line in enumerate(lines):
            print("  ".join(cell.ljust(width) for cell, width in zip(line[:3], widths)) + "  " + line[3])
            if i == 0:
                print("  ".join("-" * width for width in widths) + "  " + "-" * 7)


def run(args: argparse.Namespace) -> int:
    started = time.monotonic()
    import torch

    device = torch.device(args.device or ("cuda" if torch.cuda.is_available() else "cpu"))
    if device.type == "cuda" and not torch.cuda.is_available():
        print("mirror check gpu --device cuda: torch sees no CUDA device", file=sys.stderr)
        return 2
    people = sorted({int(n) for n in args.people.split(",")})
    report = Report()
    sections: list[tuple[str, Callable[[], None]]] = [
        ("environment", lambda: environment(report, device)),
        ("kernels", lambda: kernels(report, device, args.quick)),
        ("kernel bench", lambda: kernel_bench(report, device, args.quick, args.compile)),
        ("diffusion", lambda: diffusion(report, device, args.quick, people)),
        ("live", lambda: live(report, device, args.quick, args.live, people)),
    ]
    for name, section in sections:
        print(f"== {name} ({time.monotonic() - started:.0f} s)", flush=True)
        section_started = time.monotonic()
        try:
            section()
        except Exception as exc:  # one section failing is a result: the others still run
            report.error(name, exc)
        report.sections[name]["seconds"] = round(time.monotonic() - section_started, 1)
    elapsed = time.monotonic() - started
    report.print()
    result = {"check": "gpu", "device": device.type, "quick": args.quick, "ok": not report.failed,
              "seconds": round(elapsed, 1), "sections": report.sections}
    Path(args.json).write_text(json.dumps(result, indent=2, default=str))
    print(f"\n{'ok' if not report.failed else 'FAILED'} in {elapsed:.0f} s; results in {args.json}")
    return 1 if report.failed else 0


# ---- environment ---------------------------------------------------------------------------------------

def environment(report: Report, device) -> None:
    import torch

    report.section("environment")
    report.row("environment", "python", platform.python_version(), platform.platform())
    if device.type == "cuda":
        props = torch.cuda.get_device_properties(device)
        report.row("environment", "GPU", props.name, f"{props.total_memory / 2**30:.0f} GiB, sm_{props.major}{props.minor}, "
                   f"{props.multi_processor_count} SMs", gpu=props.name)
        report.row("environment", "driver", _nvidia_smi("driver_version") or "?",
                   f"CUDA runtime {torch.version.cuda}, cuDNN {torch.backends.cudnn.version()}")
    else:
        report.row("environment", "GPU", "none", "--device cpu: the CUDA parts are skipped and no GPU figure is given")
    report.row("environment", "torch", torch.__version__, f"{torch.get_num_threads()} CPU threads")
    for name, why in (("triton", "the kernels"), ("diffusers", "the diffusion bench"),
                      ("transformers", "the diffusion bench"), ("aiortc", "the live part")):
        version = _version(name)
        report.row("environment", name, version or "missing",
                   "" if version else f"needed for {why}" + (f": {WHEELS_HINT}" if name in ("diffusers", "transformers") else ""))


def _version(name: str) -> str | None:
    if importlib.util.find_spec(name) is None:
        return None
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return "present"


def _nvidia_smi(field: str) -> str | None:
    if shutil.which("nvidia-smi") is None:
        return None
    try:
        out = subprocess.run(["nvidia-smi", f"--query-gpu={field}", "--format=csv,noheader"], capture_output=True,
                             text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return out.strip().splitlines()[0] if out.strip() else None


# ---- kernels against their references ---------------------------------------------------------------------

def kernel_cases(device, quick: bool) -> list[tuple[str, str, Callable, Callable]]:
    """(kernel, shape, triton call, reference call): odd sizes, strided views, batches, dtypes. On CUDA
    the frame sizes the mirror uses; on the CPU (Triton's interpreter) small ones."""
    import torch

    from gpu_kernels import frame_io, latent_step, pose_map

    g = torch.Generator().manual_seed(0)
    cuda = device.type == "cuda"

    def u8(*shape):
        return torch.randint(0, 256, shape, dtype=torch.uint8, generator=g).to(device)

    def rand(*shape, dtype=torch.float16):
        return (torch.rand(shape, generator=g) * 2 - 1).to(device=device, dtype=dtype)

    frame = (480, 640) if cuda else ((36, 48) if quick else (120, 160))
    work = (384, 512) if cuda else ((32, 32) if quick else (64, 96))
    latent = (4, 4, work[0] // 8, work[1] // 8)
    cases = []

    def case(name, shape, fn, *inputs, **kw):
        cases.append((name, shape, lambda: fn(*inputs, backend="triton", **kw), lambda: fn(*inputs, backend="torch", **kw)))

    (fh, fw), (wh, ww) = frame, work
    case("ingest_rgb", f"{fh}x{fw} -> {wh}x{ww} fp16", frame_io.ingest_rgb, u8(fh, fw, 3), work)
    case("ingest_rgb", f"{fh + 3}x{fw + 5} crop -> {wh}x{ww} bf16", frame_io.ingest_rgb,
         u8(fh + 7, fw + 9, 3)[2:fh + 5, 3:fw + 8], work, torch.bfloat16)
    case("ingest_i420", f"{fh}x{fw} -> {wh}x{ww} fp16", frame_io.ingest_i420, u8(fh, fw), u8(fh // 2, fw // 2),
         u8(fh // 2, fw // 2), work)
    case("emit_rgb", f"{wh}x{ww} -> {fh}x{fw}", frame_io.emit_rgb, rand(1, 3, wh, ww), frame)
    case("emit_rgb", f"row 2 of 4 {wh}x{ww} -> {fh - 2}x{fw + 2}", frame_io.emit_rgb, rand(4, 3, wh, ww)[2:3],
         (fh - 2, fw + 2))
    case("emit_i420", f"{wh}x{ww} -> {fh}x{fw}", frame_io.emit_i420, rand(1, 3, wh, ww), frame)
    case("add_noise", f"{'x'.join(map(str, latent))} fp16 +feedback", latent_step.add_noise, rand(*latent),
         rand(*latent), 0.3, rand(*latent), 0.3)
    case("add_noise", "strided bf16", latent_step.add_noise, rand(latent[0], 4, latent[2], 2 * latent[3])[..., ::2],
         rand(*latent), 0.5, rand(*latent, dtype=torch.bfloat16), 0.2)
    case("predict_x0", f"{'x'.join(map(str, latent))} fp16 epsilon", latent_step.predict_x0, rand(*latent),
         rand(*latent), 0.3)
    case("predict_x0", "fp32 v_prediction", latent_step.predict_x0, rand(*latent, dtype=torch.float32),
         rand(*latent, dtype=torch.float32), 0.3, "v_prediction")
    keypoints = (torch.rand((18, 3), generator=g) * torch.tensor([ww, wh, 1.0])).to(device)
    case("draw_pose_map", f"18 keypoints -> {wh}x{ww} fp16", pose_map.draw_pose_map, keypoints, work,
         4.0 * min(work) / 512, 4.0 * min(work) / 512)
    return cases


def kernels(report: Report, device, quick: bool) -> None:
    import torch

    from gpu_kernels.backend import tolerance, triton

    if triton is None:
        report.skip("kernels", "triton is not installed: pip install triton")
        return
    how = "compiled" if device.type == "cuda" else "Triton's interpreter on CPU tensors"
    report.section("kernels", how=how)
    for name, shape, ours, reference in kernel_cases(device, quick):
        got, want = ours(), reference()
        got, want = (got, want) if isinstance(got, tuple) else ((got,), (want,))
        worst, problem = 0.0, None
        for a, b in zip(got, want):
            worst = max(worst, float((a.float() - b.float()).abs().max()))
            try:
                torch.testing.assert_close(a.float(), b.float(), **tolerance(b.dtype))
            except AssertionError as exc:
                problem = str(exc).splitlines()[0]
        report.row("kernels", f"{name} {shape}", "MISMATCH" if problem else "ok",
                   problem or f"max |triton - reference| {worst:.3g} ({how})", failed=problem is not None,
                   max_abs_diff=worst)


# ---- the kernel bench -------------------------------------------------------------------------------------

def kernel_bench(report: Report, device, quick: bool, use_compile: bool) -> None:
    from gpu_kernels import bench

    cuda = device.type == "cuda"
    wanted = None if cuda else ({"ingest_rgb", "predict_x0"} if quick else
                                {"ingest_rgb", "ingest_i420", "emit_rgb", "emit_i420", "draw_pose_map", "add_noise",
                                 "predict_x0"})
    size = "1080p" if cuda else "720p"
    iters = 10 if not quick else 1
    cases = bench.build_cases(device, bench.SIZES[size], wanted)
    copy_gbps = bench.copy_bandwidth(device, iters)
    rows = [bench.measure(case, device, use_compile and cuda, iters) for case in cases]
    result = bench.report(rows, device, copy_gbps, argparse.Namespace(size=size))
    report.section("kernel bench", **result)
    for row in result["rows"]:
        eager = row["eager"]
        if row.get("mismatch"):
            report.row("kernel bench", f"{row['name']} {row['shape']}", "MISMATCH", row["mismatch"], failed=True)
        elif row["triton"] is None:
            report.row("kernel bench", f"{row['name']} {row['shape']}", "eager only",
                       f"eager {eager['ms']:.3f} ms, {eager['gbps']:.3g} GB/s ({100 * eager['copy_fraction']:.0f}% of "
                       f"the CPU's copy); Triton not timed without a GPU")
        else:
            triton = row["triton"]
            compiled = (f", torch.compile {row['compile']['ms']:.3f} ms" if row.get("compile") else "")
            report.row("kernel bench", f"{row['name']} {row['shape']}", f"{row['eager_over_triton']:.2f}x eager",
                       f"triton {triton['ms']:.3f} ms ({100 * triton['copy_fraction']:.0f}% of copy), "
                       f"eager {eager['ms']:.3f} ms{compiled}")
    report.row("kernel bench", "copy bandwidth", f"{result['copy_gbps']:.0f} GB/s", "same-device copy_, read + write")


# ---- the diffusion bench ----------------------------------------------------------------------------------

def diffusion(report: Report, device, quick: bool, people: list[int]) -> None:
    missing = [name for name in ("diffusers", "transformers") if importlib.util.find_spec(name) is None]
    if missing:
        report.skip("diffusion", f"{', '.join(missing)} not installed: {WHEELS_HINT}")
        return
    from mirror.render.diffusion import bench

    cuda = device.type == "cuda"
    if cuda:
        values = dict(diffusion_model="", size=512, camera="640x480", frames=30, warmup=3, threads=0)
    elif quick:
        values = dict(diffusion_model="tiny", size=128, camera="96x72", frames=1, warmup=1, threads=1)
        people = [n for n in people if n <= 2] or people[:1]
    else:
        values = dict(diffusion_model="tiny", size=128, camera="160x120", frames=3, warmup=1, threads=0)
    args = argparse.Namespace(people=",".join(map(str, people)), controlnet="both", device=device.type,
                              dtype="auto", compile=True, seed=0, json="", **values)
    result = bench.measure(args, log=lambda line: print(f"  {line}", flush=True))
    report.section("diffusion", **result)
    report.row("diffusion", "models", result["weights"].split(":")[0], result["what"])
    for failure in result.get("capture_failures", []):
        report.row("diffusion", "graph capture", "FAILED", failure, failed=True)
    rows = result["rows"]
    for n in result["people"]:
        for controlnet in (False, True):
            ours = next((r for r in rows if (r["people"], r["controlnet"], r["side"]) == (n, controlnet, "ours")), None)
            theirs = next((r for r in rows if (r["people"], r["controlnet"], r["side"]) == (n, controlnet, "diffusers")),
                          None)
            if ours is None or theirs is None:
                continue
            report.row("diffusion", f"{_people(n)}, ControlNet {'on' if controlnet else 'off'}",
                       f"{ours['fps_per_person'] / theirs['fps_per_person']:.2f}x diffusers",
                       f"ours {ours['fps_per_person']:.1f} fps each (tick p50 {ours['tick_p50_ms']:.1f}, p95 "
                       f"{ours['tick_p95_ms']:.1f} ms); diffusers {theirs['fps_per_person']:.1f} fps each "
                       f"(p95 {theirs['tick_p95_ms']:.1f} ms)")
    for entry in result["parts"]:
        parts = entry["seconds"]
        biggest = sorted(parts.items(), key=lambda kv: -kv[1])[:3]
        report.row("diffusion", f"one tick, {_people(entry['people'])}, ControlNet {'on' if entry['controlnet'] else 'off'}",
                   f"{sum(parts.values()) * 1e3:.1f} ms eager",
                   ", ".join(f"{name} {seconds * 1e3:.1f}" for name, seconds in biggest))


def _people(n: int) -> str:
    return f"{n} {'person' if n == 1 else 'people'}"


# ---- the live server -----------------------------------------------------------------------------------------

def live(report: Report, device, quick: bool, wanted: bool, people: list[int]) -> None:
    if quick or not wanted:
        report.skip("live", "--quick" if quick else "--no-live")
        return
    missing = [name for name in LIVE_MODULES if importlib.util.find_spec(name) is None]
    if missing:
        report.skip("live", f"the server stack is not installed here ({', '.join(missing)}): pip install -e .")
        return
    import asyncio

    cuda = device.type == "cuda"
    # The clients' cameras are 640x480: the server need capture the 4:3 working shape only.
    env = {"MIRROR_DIFFUSION_MODEL": "random" if cuda else "tiny", "MIRROR_DIFFUSION_DEVICE": device.type,
           "MIRROR_DIFFUSION_SIZE": "512" if cuda else "128", "MIRROR_DIFFUSION_ASPECTS": "4:3",
           "MIRROR_MAX_SESSIONS": str(max(people)), "MIRROR_OFFER_BURST": str(max(20, 4 * max(people)))}
    report.section("live", env=env)
    steps, log_text = asyncio.run(_live_steps(env, people))
    loads = len(re.findall(r"diffusion engine ready in", log_text))
    report.row("live", "engine loads", str(loads), f"for {sum(people)} people in turn: the server opens one engine at "
               "start-up and everyone shares it", failed=loads != 1, engine_loads=loads)
    from tools.bench.report import percentile_ms

    for step in steps:
        ok = [c for c in step.clients if c.outcome]
        fps = [c.fps for c in ok]
        latencies = [x for c in ok for x in c.outcome.latencies]
        seen = sum(len(c.outcome.latencies) for c in ok)
        sent = sum(c.outcome.flashes_sent for c in ok)
        errors = "; ".join(c.error for c in step.clients if c.error)
        figures = (f"fps each min {min(fps):.1f} mean {sum(fps) / len(fps):.1f}; glass-to-glass p50 "
                   f"{percentile_ms(latencies, 50):.0f} p95 {percentile_ms(latencies, 95):.0f} ms over {seen}/{sent} "
                   f"flashes seen; server {step.cores:.2f} cores") if fps else errors
        server = step.server  # from the server's /metrics over this step: what random weights cannot hide
        figures += (f"; server received → sent mean {server.get('frame', float('nan')):.0f} ms, of which the "
                    f"diffusion stage {server.get('diffusion', float('nan')):.0f} ms")
        report.row("live", f"{_people(step.n)} at once", f"{len(ok)}/{step.n} connected",
                   figures + (" (random weights: a flash need not show through the model, so few are seen)"
                              if fps and seen < sent / 2 else ""),
                   failed=len(ok) < step.n, fps=fps, latencies_ms=[x * 1e3 for x in latencies], errors=errors,
                   server_ms=server)


async def _live_steps(env: dict[str, str], people: list[int]):
    import asyncio
    import tempfile

    import psutil

    from mirror.rtc.encoder import configure_low_latency_encoding
    from mirror.rtc.jitter import check_supported
    from mirror.rtc.loopback import restrict_host_addresses
    from mirror.server.settings import Settings
    from tools.bench.latency import BRIGHT_STEP, LOOPBACK, SCENE_COMMAND, ServerProcess
    from tools.bench.load import _step, _until_free

    check_supported()
    configure_low_latency_encoding(Settings.load())
    restrict_host_addresses([LOOPBACK])
    saved = {name: os.environ.get(name) for name in env}
    os.environ.update(env)  # ServerProcess hands this process's MIRROR_* settings to `mirror serve`
    log_path = os.path.join(tempfile.mkdtemp(prefix="mirror-check-gpu-"), "serve.log")
    server = ServerProcess("composite,diffusion", True, log_path)
    try:
        await server.ready(timeout=600)  # the engine loads and captures before the server answers
        process = psutil.Process(server.process.pid)
        options = argparse.Namespace(flashes=6, period=0.8, say=SCENE_COMMAND)
        steps = []
        for n in people:
            print(f"  {n} at once ...", flush=True)
            before = await _histograms(server.url)
            # A cap above n: `mirror bench load` probes the refused offer at the cap; this check does not.
            step = await asyncio.wait_for(_step(server, process, n, max(people) + 1, BRIGHT_STEP, options),
                                          STEP_TIMEOUT_S)
            after = await _histograms(server.url)
            step.server = {name: (after[name][0] - before.get(name, (0, 0))[0])
                           / max(1, after[name][1] - before.get(name, (0, 0))[1]) * 1e3 for name in after}
            steps.append(step)
            await _until_free(server, timeout=60)
    finally:
        server.stop()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    return steps, Path(log_path).read_text(errors="replace")


async def _histograms(url: str) -> dict[str, tuple[float, float]]:
    """(sum, count) of the server's frame latency ("frame") and the diffusion stage's time ("diffusion")."""
    import httpx

    async with httpx.AsyncClient() as client:
        text = (await client.get(url + "/metrics", timeout=5)).text
    found: dict[str, list[float]] = {}
    for line in text.splitlines():
        m = re.match(r'mirror_(frame_latency|stage)_seconds_(sum|count)(?:\{stage="([^"]+)"\})? ([0-9.e+-]+)$', line)
        if m and (m.group(1) == "frame_latency" or m.group(3) == "diffusion"):
            name = "frame" if m.group(1) == "frame_latency" else "diffusion"
            found.setdefault(name, [0.0, 0.0])[0 if m.group(2) == "sum" else 1] = float(m.group(4))
    return {name: (total, count) for name, (total, count) in found.items()}
