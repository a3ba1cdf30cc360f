"""Every kernel the dispatchers launch compiles for Hopper (sm_90: H100, H200) on this CPU.

Triton's interpreter runs kernel bodies as numpy and accepts code the compiler refuses (types,
constexpr rules, shapes). Triton lowers to PTX and runs ptxas without a GPU, so each launch the
parity tests make is captured here, with its exact arguments and constexprs, and compiled to a cubin.
"""
import pytest
import torch

from gpu_kernels import frame_io, latent_step, pose_map
from gpu_kernels.backend import JITFunction, triton

pytestmark = [
    pytest.mark.skipif(triton is None, reason="triton is not installed"),
    pytest.mark.filterwarnings("ignore:TRITON_DEFAULT_FP_FUSION"),
]

TYPES = {torch.float16: "fp16", torch.bfloat16: "bf16", torch.float32: "fp32", torch.uint8: "u8", torch.int32: "i32"}


class Capture:
    """Stands in for `launchable`: records (kernel, args, constexprs) instead of running."""

    def __init__(self, kernel):
        self.kernel = kernel
        self.launches = []

    def __call__(self, kernel, device):
        return self

    def __getitem__(self, grid):
        def launch(*args, **constexprs):
            self.launches.append((self.kernel, args, constexprs))
        return launch


def x(shape, dtype=torch.float16):
    return torch.zeros(shape, dtype=dtype)


def u8(shape):
    return torch.zeros(shape, dtype=torch.uint8)


CALLS = {
    "ingest_rgb": (frame_io, "_ingest_rgb_kernel", lambda: frame_io.ingest_rgb(u8((37, 53, 3)), (20, 30), backend="triton")),
    "ingest_rgb_bf16": (frame_io, "_ingest_rgb_kernel",
                        lambda: frame_io.ingest_rgb(u8((37, 53, 3)), (20, 30), torch.bfloat16, backend="triton")),
    "ingest_i420": (frame_io, "_ingest_i420_kernel",
                    lambda: frame_io.ingest_i420(u8((38, 54)), u8((19, 27)), u8((19, 27)), (20, 30), backend="triton")),
    "emit_rgb": (frame_io, "_emit_rgb_kernel", lambda: frame_io.emit_rgb(x((1, 3, 37, 53)), (20, 30), backend="triton")),
    "emit_i420": (frame_io, "_emit_i420_kernel", lambda: frame_io.emit_i420(x((1, 3, 37, 53)), (20, 30), backend="triton")),
    "add_noise": (latent_step, "_add_noise_kernel",
                  lambda: latent_step.add_noise(x((1, 4, 8, 8)), x((1, 4, 8, 8)), 0.5, backend="triton")),
    "add_noise_feedback_strided": (latent_step, "_add_noise_kernel", lambda: latent_step.add_noise(
        x((1, 4, 8, 16))[..., ::2], x((1, 4, 8, 8)), 0.5, x((1, 4, 8, 8), torch.bfloat16), 0.3, backend="triton")),
    "predict_x0_v": (latent_step, "_predict_x0_kernel",
                     lambda: latent_step.predict_x0(x((1, 4, 8, 8)), x((1, 4, 8, 8)), 0.5, "v_prediction", backend="triton")),
    "pose_map": (pose_map, "_pose_map_kernel",
                 lambda: pose_map.draw_pose_map(torch.zeros(18, 3), (64, 64), 4.0, 3.0, backend="triton")),
}


def signature(kernel, args, constexprs):
    params = [p for p in kernel.params if p.name not in constexprs]
    assert len(params) == len(args), "a launch passes every non-constexpr argument positionally"
    sig = {}
    for param, value in zip(params, args):
        if isinstance(value, torch.Tensor):
            sig[param.name] = "*" + TYPES[value.dtype]
        elif isinstance(value, bool):
            sig[param.name] = "i1"
        elif isinstance(value, int):
            sig[param.name] = "i32" if -2**31 <= value < 2**31 else "i64"
        else:
            sig[param.name] = "fp32"
    sig.update({name: "constexpr" for name in constexprs})
    return sig


@pytest.mark.parametrize("name", CALLS)
def test_kernel_compiles_for_sm90(name, monkeypatch):
    from triton.backends.compiler import GPUTarget
    from triton.compiler import ASTSource

    module, kernel_name, call = CALLS[name]
    kernel = getattr(module, kernel_name)
    if not isinstance(kernel, JITFunction):
        pytest.skip("TRITON_INTERPRET was set when kernels were imported: nothing to compile")
    capture = Capture(kernel)
    monkeypatch.setattr(module, "launchable", capture)
    call()
    [(kernel, args, constexprs)] = capture.launches
    # The GPU block a CUDA launch would use, not the interpreter's.
    constexprs = dict(constexprs, BLOCK=min(constexprs["BLOCK"], 1024))
    source = ASTSource(kernel, signature(kernel, args, constexprs), constexprs=constexprs)
    compiled = triton.compile(source, target=GPUTarget("cuda", 90, 32))
    assert compiled.asm["cubin"] and ".entry " + kernel_name in compiled.asm["ptx"]
