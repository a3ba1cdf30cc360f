"""`python -m gpu_kernels.bench` (`mirror bench kernels`): each fused kernel against its torch eager
reference and `torch.compile` of that reference, all measured in one run on one device.

Rows, at --size (default 1080p: a 1920x1080 camera frame) and the SD working size 512x512:
  ingest_rgb / ingest_i420   frame in  -> (1, 3, 512, 512) fp16
  emit_rgb / emit_i420       (1, 3, 512, 512) fp16 -> frame out
  add_noise / predict_x0     latent (1, 4, 64, 64) fp16; *_flat: a large latent (1, 4, 2048, 2048)
  draw_pose_map              18 keypoints -> (1, 3, 512, 512) fp16
Bytes are what each call must read and write at least (every input and output once); GB/s is
bytes / time, and "% copy" compares it with a large device-to-device copy measured in the same
run, the practical ceiling. Ratios are times: eager/triton > 1 means the kernel is faster.

CUDA: `triton.testing.do_bench` (median, L2 flushed between runs), after a correctness check of
the kernel against the reference. CPU: `time.perf_counter` loops; the Triton column would be the
interpreter, so it is shown as "n/a (no GPU)" and never timed, and nothing is said about GPUs.
Only torch, triton and numpy are needed; torch.compile is off on CPU unless --compile (~40 s).
"""
import argparse
import json
import platform
import statistics
import sys
import time
from dataclasses import dataclass
from typing import Callable

import torch

from gpu_kernels import frame_io, latent_step, pose_map
from gpu_kernels.backend import tolerance

SIZES = {"720p": (720, 1280), "1080p": (1080, 1920), "4k": (2160, 3840)}
WORK = (512, 512)            # the diffusion step's picture
LATENT = (1, 4, 64, 64)      # its latent
FLAT = (1, 4, 2048, 2048)    # a latent large enough to measure bandwidth, not launch latency


@dataclass
class Case:
    name: str
    shape: str
    bytes: int
    triton: Callable[[], object]
    eager: Callable[[], object]
    reference: Callable          # compiled with torch.compile
    args: tuple


@dataclass
class Row:
    name: str
    shape: str
    bytes: int
    triton_ms: float | None = None
    eager_ms: float | None = None
    compile_ms: float | None = None
    compile_error: str | None = None
    mismatch: str | None = None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--device", choices=("cuda", "cpu"), default=None,
                        help="default: cuda when available, else cpu")
    parser.add_argument("--size", choices=tuple(SIZES), default="1080p", help="camera frame size")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    parser.add_argument("--iters", type=int, default=10, help="timed calls per row on CPU")
    parser.add_argument("--only", default=None, help="comma-separated row names (e.g. ingest_i420,add_noise)")
    compile_group = parser.add_mutually_exclusive_group()
    compile_group.add_argument("--compile", dest="compile", action="store_true", default=None,
                               help="time torch.compile(reference) too (default on CUDA only)")
    compile_group.add_argument("--no-compile", dest="compile", action="store_false")


def build_cases(device: torch.device, frame: tuple[int, int], wanted: set[str] | None = None) -> list[Case]:
    """The rows, inputs made only for the wanted ones (the large latent alone is 134 MB)."""
    g = torch.Generator(device="cpu").manual_seed(0)
    fh, fw = frame
    half = ((fh + 1) // 2, (fw + 1) // 2)
    frame_name = f"{fh}x{fw}"
    work_bytes = 3 * WORK[0] * WORK[1] * 2  # one fp16 (1, 3, 512, 512)

    def u8(*shape):
        return torch.randint(0, 256, shape, dtype=torch.uint8, generator=g).to(device)

    def fp16(*shape):
        return torch.randn(shape, generator=g).to(device=device, dtype=torch.float16)

    def picture():
        return (torch.rand((1, 3, *WORK), generator=g) * 2 - 1).to(device=device, dtype=torch.float16)

    def keypoints():
        return (torch.rand((18, 3), generator=g) * torch.tensor([WORK[1], WORK[0], 1.0])).to(device)

    def case(name, shape, nbytes, module, fn, inputs):
        def build():
            args = inputs()
            dispatcher = getattr(module, fn)
            reference = getattr(module, fn + "_reference")
            return Case(name, shape, nbytes,
                        triton=lambda: dispatcher(*args, backend="triton"),
                        eager=lambda: reference(*args), reference=reference, args=args)
        return name, build

    i420_bytes = fh * fw + 2 * half[0] * half[1]
    rows = [
        case("ingest_rgb", f"{frame_name} rgb -> 512x512", fh * fw * 3 + work_bytes,
             frame_io, "ingest_rgb", lambda: (u8(fh, fw, 3), WORK)),
        case("ingest_i420", f"{frame_name} i420 -> 512x512", i420_bytes + work_bytes,
             frame_io, "ingest_i420", lambda: (u8(fh, fw), u8(*half), u8(*half), WORK)),
        case("emit_rgb", f"512x512 -> {frame_name} rgb", work_bytes + fh * fw * 3,
             frame_io, "emit_rgb", lambda: (picture(), frame)),
        case("emit_i420", f"512x512 -> {frame_name} i420", work_bytes + fh * fw * 3 // 2,
             frame_io, "emit_i420", lambda: (picture(), (fh - fh % 2, fw - fw % 2))),
        case("draw_pose_map", "18 keypoints -> 512x512", work_bytes + 18 * 3 * 4,
             pose_map, "draw_pose_map", lambda: (keypoints(), WORK, 4.0, 4.0)),
    ]
    for shape, suffix in ((LATENT, ""), (FLAT, "_flat")):
        n, name = shape[0] * shape[1] * shape[2] * shape[3], "x".join(map(str, shape))
        rows.append(case("add_noise" + suffix, f"{name} fp16 +feedback", 4 * n * 2, latent_step, "add_noise",
                         lambda shape=shape: (fp16(*shape), fp16(*shape), 0.3, fp16(*shape), 0.2)))
        rows.append(case("predict_x0" + suffix, f"{name} fp16 epsilon", 3 * n * 2, latent_step, "predict_x0",
                         lambda shape=shape: (fp16(*shape), fp16(*shape), 0.3)))
    return [build() for name, build in rows if wanted is None or name in wanted]


def time_cpu(fn: Callable, iters: int) -> float:
    # Warm up for a few calls and at least 0.3 s: inductor's CPU code runs 100x slower on its
    # first calls (threads, lazy loading) than once settled.
    start, calls = time.perf_counter(), 0
    while calls < 3 or (time.perf_counter() - start < 0.3 and calls < 100):
        fn()
        calls += 1
    samples = []
    for _ in range(iters):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1e3


def time_cuda(fn: Callable) -> float:
    import triton.testing

    return triton.testing.do_bench(fn, warmup=25, rep=100, return_mode="median")


def copy_bandwidth(device: torch.device, iters: int) -> float:
    """GB/s of a large same-device copy (read + write), the ceiling for memory-bound kernels."""
    nbytes = (1 << 30) if device.type == "cuda" else (1 << 26)
    src = torch.ones(nbytes, dtype=torch.uint8, device=device)  # written, so no lazily mapped zero pages
    dst = torch.empty_like(src)
    ms = time_cuda(lambda: dst.copy_(src)) if device.type == "cuda" else time_cpu(lambda: dst.copy_(src), iters)
    return 2 * nbytes / (ms * 1e-3) / 1e9


def check(case: Case) -> str | None:
    """None when the Triton output matches the reference within gpu_kernels.backend.tolerance."""
    ours, ref = case.triton(), case.eager()
    ours, ref = (ours, ref) if isinstance(ours, tuple) else ((ours,), (ref,))
    for a, b in zip(ours, ref):
        try:
            torch.testing.assert_close(a.float(), b.float(), **tolerance(b.dtype))
        except AssertionError as e:
            return str(e).splitlines()[0]
    return None


def measure(case: Case, device: torch.device, use_compile: bool, iters: int) -> Row:
    timer = time_cuda if device.type == "cuda" else (lambda fn: time_cpu(fn, iters))
    row = Row(case.name, case.shape, case.bytes)
    if device.type == "cuda":
        row.mismatch = check(case)
        row.triton_ms = timer(case.triton)
    row.eager_ms = timer(case.eager)
    if use_compile:
        try:
            compiled = torch.compile(case.reference, dynamic=False)  # static shapes, as the step runs
            compiled(*case.args)  # compile outside the timed region
            row.compile_ms = timer(lambda: compiled(*case.args))
        except Exception as e:  # a reference torch.compile cannot handle is a result, not a crash
            row.compile_error = f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"[:120]
            print(f"compile failed: {case.name}: {row.compile_error}", file=sys.stderr)
    return row


def device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            model = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), model)
    except OSError:
        pass
    return f"CPU: {model}, {torch.get_num_threads()} torch threads"


def _sig(value: float) -> float:
    return float(f"{value:.4g}")


def gbps(nbytes: int, ms: float | None) -> float | None:
    return None if ms is None else nbytes / (ms * 1e-3) / 1e9


def report(rows: list[Row], device: torch.device, copy_gbps: float, args: argparse.Namespace) -> dict:
    result = {
        "device": device_name(device),
        "measured_on": device.type,
        "torch": torch.__version__,
        "frame": args.size,
        "copy_gbps": _sig(copy_gbps),
        "rows": [],
    }
    if device.type == "cuda":
        import triton
        result["triton"] = triton.__version__
    for row in rows:
        entry = {"name": row.name, "shape": row.shape, "bytes": row.bytes}
        for path in ("triton", "eager", "compile"):
            ms = getattr(row, f"{path}_ms")
            rate = gbps(row.bytes, ms)
            entry[path] = None if ms is None else {
                "ms": _sig(ms), "gbps": _sig(rate), "copy_fraction": _sig(rate / copy_gbps)}
        if row.triton_ms:
            entry["eager_over_triton"] = _sig(row.eager_ms / row.triton_ms)
            if row.compile_ms:
                entry["compile_over_triton"] = _sig(row.compile_ms / row.triton_ms)
        if row.compile_error:
            entry["compile_error"] = row.compile_error
        if row.mismatch:
            entry["mismatch"] = row.mismatch
        result["rows"].append(entry)
    return result


def print_table(result: dict, device: torch.device) -> None:
    print(f"kernels bench: measured on {result['device']} (torch {result['torch']}"
          + (f", triton {result['triton']})" if "triton" in result else ")"))
    if device.type == "cpu":
        print("No GPU in this run: the Triton column would be its CPU interpreter and is not timed;"
              " eager and torch.compile are the CPU's figures, not a GPU estimate.")
    print(f"copy bandwidth (same-device copy_, read + write): {result['copy_gbps']:.1f} GB/s")
    print("ratios are times: eager/triton > 1 means the Triton kernel is faster")
    header = ("kernel", "shape", "MB", "triton ms", "GB/s", "% copy", "eager ms", "GB/s", "% copy",
              "compile ms", "GB/s", "eager/triton", "compile/triton")
    lines = [header]
    for r in result["rows"]:
        def cells(path):
            p = r[path]
            if p is None:
                return ("n/a (no GPU)" if path == "triton" else ("failed" if path == "compile" and "compile_error" in r
                                                                 else "-"), "-", "-")
            return (f"{p['ms']:.3f}", f"{p['gbps']:.3g}", f"{100 * p['copy_fraction']:.0f}%")
        t, e, c = cells("triton"), cells("eager"), cells("compile")
        lines.append((r["name"] + (" MISMATCH" if "mismatch" in r else ""), r["shape"], f"{r['bytes'] / 1e6:.2f}",
                      *t, *e, c[0], c[1],
                      f"{r['eager_over_triton']:.2f}x" if "eager_over_triton" in r else "n/a",
                      f"{r['compile_over_triton']:.2f}x" if "compile_over_triton" in r else "n/a"))
    widths = [max(len(str(line[i])) for line in lines) for i in range(len(header))]
    for line in lines:
        print("  ".join(str(cell).ljust(width) for cell, width in zip(line, widths)).rstrip())
    for r in result["rows"]:
        if "mismatch" in r:
            print(f"MISMATCH {r['name']} {r['shape']}: {r['mismatch']}")


def run(args: argparse.Namespace) -> int:
    device = torch.device(args.device or ("cuda" if torch.cuda.is_available() else "cpu"))
    if device.type == "cuda" and not torch.cuda.is_available():
        print("--device cuda: no CUDA device is visible to torch", file=sys.stderr)
        return 2
    if device.type == "cuda":
        try:
            import triton  # noqa: F401
        except ImportError:
            print("--device cuda needs the triton package: pip install triton", file=sys.stderr)
            return 2
    use_compile = (device.type == "cuda") if args.compile is None else args.compile
    wanted = set(args.only.split(",")) if args.only else None
    cases = build_cases(device, SIZES[args.size], wanted)
    if not cases:
        print(f"--only {args.only}: no such rows", file=sys.stderr)
        return 2
    copy_gbps = copy_bandwidth(device, args.iters)
    rows = [measure(case, device, use_compile, args.iters) for case in cases]
    result = report(rows, device, copy_gbps, args)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print_table(result, device)
    return 1 if any(r.mismatch for r in rows) else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gpu_kernels.bench", description=__doc__.splitlines()[0])
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
