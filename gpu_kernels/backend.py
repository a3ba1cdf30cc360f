"""Which path a kernel call takes: the Triton kernel or its torch reference.

`backend` on every dispatcher:
  "auto"   Triton when it is installed and every tensor is on CUDA, the torch reference otherwise;
  "triton" always the Triton kernel: compiled on CUDA, Triton's interpreter on CPU tensors (slow;
           this is how the parity tests run the kernels on a machine without a GPU);
  "torch"  always the reference.

Triton decides between compiling and interpreting when `@triton.jit` runs, i.e. when a kernel
module is imported, from TRITON_INTERPRET at that moment. Whoever imported `kernels` first would
then fix the mode for the whole process, so the interpreter is not taken from the environment:
`launchable` wraps a compiled kernel's Python function in Triton's interpreter when the tensors
are on the CPU, whatever TRITON_INTERPRET said at import. Kernels here therefore call only
Triton builtins (tl.load, tl.full, tl.where, ...) and their own @jit functions, never the
@jit-defined parts of triton.language (tl.zeros, tl.sum, tl.cdiv, ...), which stay compiled-only.
"""
import types

import torch

try:
    import triton
    import triton.language as tl
    from triton.runtime.interpreter import InterpretedFunction
    from triton.runtime.jit import JITFunction
except ImportError:  # CPU-only installs: the dispatchers use the references
    triton = None
    # Enough of `tl` for kernel signatures (`BLOCK: tl.constexpr`) to parse; nothing is launched.
    tl = types.SimpleNamespace(constexpr=None)
    InterpretedFunction = JITFunction = None

BACKENDS = ("auto", "triton", "torch")

# Threads per program on a GPU. The interpreter runs a program instance at a time in Python, so
# on the CPU a block covers as much of the problem as it can (a few programs, not thousands).
GPU_BLOCK = 1024
INTERPRETER_BLOCK = 1 << 16


def constexpr(value):
    """A module-level constant a kernel may read (Triton only lets kernels see constexpr globals)."""
    return tl.constexpr(value) if triton is not None else value


def jit(fn):
    """`triton.jit`, or the plain function when Triton is missing (the dispatchers never launch it)."""
    return triton.jit(fn) if triton is not None else fn


def use_triton(backend: str, *tensors: torch.Tensor) -> bool:
    """True when this call should run the Triton kernel (see the module docstring)."""
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, not {backend!r}")
    if backend == "torch":
        return False
    if backend == "triton":
        if triton is None:
            raise RuntimeError("backend='triton' needs the triton package: pip install triton")
        return True
    return triton is not None and all(t.is_cuda for t in tensors)


def launchable(kernel, device: torch.device):
    """The kernel to index with a grid: compiled on CUDA, Triton's interpreter on the CPU."""
    if device.type == "cuda" or isinstance(kernel, InterpretedFunction):
        return kernel
    return _interpreted(kernel)


def block_size(n: int, device: torch.device, gpu_block: int = GPU_BLOCK) -> int:
    """A power-of-two block for n elements per program."""
    cap = gpu_block if device.type == "cuda" else INTERPRETER_BLOCK
    return max(16, min(cap, triton.next_power_of_2(max(n, 1))))


_interpreted_cache: dict = {}


def _interpreted(kernel):
    # The interpreter re-executes the kernel's source in the function's globals and looks other
    # @triton.jit functions up there when they are called. A copy of those globals, with each
    # JITFunction swapped for its interpreted twin, keeps the module itself untouched.
    if kernel in _interpreted_cache:
        return _interpreted_cache[kernel]
    fn = kernel.fn
    scope = dict(fn.__globals__)
    twin = types.FunctionType(fn.__code__, scope, fn.__name__, fn.__defaults__, fn.__closure__)
    twin.__kwdefaults__ = fn.__kwdefaults__
    twin.__annotations__ = dict(fn.__annotations__)
    twin.__qualname__, twin.__module__ = fn.__qualname__, fn.__module__
    interpreted = _interpreted_cache[kernel] = InterpretedFunction(twin)
    for name, value in list(scope.items()):
        if isinstance(value, JITFunction):
            scope[name] = _interpreted(value)
    return interpreted


def tolerance(dtype: torch.dtype) -> dict:
    """`torch.testing.assert_close` bounds between a kernel and its reference, both computing in
    fp32 and storing `dtype`: a few fp32 ulps, which can move a rounded result by one step of
    `dtype` (for uint8, one level). Tests and the bench's correctness check both use these."""
    if dtype == torch.uint8:
        return dict(rtol=0.0, atol=1.0)
    rtol = {torch.float16: 2.0**-10, torch.bfloat16: 2.0**-7}.get(dtype, 1e-5)
    return dict(rtol=rtol, atol=1e-5)
