"""gpu_kernels.backend: which path a dispatcher takes, with and without Triton and TRITON_INTERPRET."""
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from gpu_kernels import frame_io, latent_step, pose_map

ROOT = Path(__file__).resolve().parents[2]

# dispatcher name -> (module, the Triton launch it would take, a call on CPU tensors)
DISPATCHERS = {
    "ingest_rgb": (frame_io, "ingest_rgb_triton",
                   lambda **kw: frame_io.ingest_rgb(torch.zeros(4, 6, 3, dtype=torch.uint8), (2, 3), **kw)),
    "ingest_i420": (frame_io, "ingest_i420_triton", lambda **kw: frame_io.ingest_i420(
        torch.zeros(4, 6, dtype=torch.uint8), torch.zeros(2, 3, dtype=torch.uint8),
        torch.zeros(2, 3, dtype=torch.uint8), (2, 3), **kw)),
    "emit_rgb": (frame_io, "emit_rgb_triton", lambda **kw: frame_io.emit_rgb(torch.zeros(1, 3, 4, 6), (2, 3), **kw)),
    "emit_i420": (frame_io, "emit_i420_triton", lambda **kw: frame_io.emit_i420(torch.zeros(1, 3, 4, 6), (2, 4), **kw)),
    "add_noise": (latent_step, "add_noise_triton",
                  lambda **kw: latent_step.add_noise(torch.zeros(1, 4, 2, 2), torch.ones(1, 4, 2, 2), 0.5, **kw)),
    "predict_x0": (latent_step, "predict_x0_triton",
                   lambda **kw: latent_step.predict_x0(torch.zeros(1, 4, 2, 2), torch.ones(1, 4, 2, 2), 0.5, **kw)),
    "draw_pose_map": (pose_map, "draw_pose_map_triton",
                      lambda **kw: pose_map.draw_pose_map(torch.zeros(18, 3), (4, 4), 2.0, 2.0, **kw)),
}


def refuse(*args, **kwargs):
    raise AssertionError("the Triton path was taken")


@pytest.mark.parametrize("name", DISPATCHERS)
def test_auto_uses_the_reference_for_cpu_tensors(name, monkeypatch):
    module, triton_impl, call = DISPATCHERS[name]
    monkeypatch.setattr(module, triton_impl, refuse)
    call()
    call(backend="torch")
    with pytest.raises(AssertionError, match="Triton path"):
        call(backend="triton")


@pytest.mark.parametrize("name", DISPATCHERS)
def test_unknown_backend_is_refused(name):
    with pytest.raises(ValueError, match="backend"):
        DISPATCHERS[name][2](backend="cuda")


def run_python(code: str, env: dict) -> str:
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout


def clean_env(**extra):
    env = {k: v for k, v in os.environ.items() if k != "TRITON_INTERPRET"}
    return dict(env, PYTHONPATH=str(ROOT), **extra)


def test_without_triton_kernels_import_and_dispatch_to_the_references():
    code = """
import sys
sys.modules["triton"] = None  # as if not installed
import torch
from gpu_kernels import frame_io, latent_step, pose_map
from gpu_kernels.backend import triton
assert triton is None
x = latent_step.add_noise(torch.zeros(1, 4, 2, 2), torch.ones(1, 4, 2, 2), 0.25)
assert torch.allclose(x, torch.full((1, 4, 2, 2), 0.75 ** 0.5))
assert frame_io.emit_rgb(torch.zeros(1, 3, 2, 2), (2, 2)).eq(128).all()
assert pose_map.draw_pose_map(torch.zeros(18, 3), (4, 4), 2.0, 2.0).eq(0).all()
try:
    latent_step.add_noise(torch.zeros(1), torch.zeros(1), 0.5, backend="triton")
except RuntimeError as e:
    print(e)
"""
    assert "needs the triton package" in run_python(code, clean_env())


@pytest.mark.parametrize("interpret_at_import", ["unset", "1"])
def test_triton_path_runs_on_cpu_whatever_triton_interpret_was_at_import(interpret_at_import):
    """Another module may import kernels before a test sets TRITON_INTERPRET (or never set it)."""
    pytest.importorskip("triton")
    code = """
import torch
from gpu_kernels import frame_io, latent_step
latent, eps = torch.randn(1, 4, 8, 8), torch.randn(1, 4, 8, 8)
a = latent_step.add_noise(latent, eps, 0.3, backend="triton")
assert torch.allclose(a, latent_step.add_noise(latent, eps, 0.3, backend="torch"), atol=1e-6)
rgb = torch.randint(0, 256, (9, 7, 3), dtype=torch.uint8)
assert torch.equal(frame_io.emit_rgb(frame_io.ingest_rgb(rgb, (9, 7), torch.float32, backend="triton"), (9, 7),
                                     backend="triton"), rgb)
print(type(latent_step._add_noise_kernel).__name__, type(frame_io._source_index).__name__)
"""
    env = clean_env() if interpret_at_import == "unset" else clean_env(TRITON_INTERPRET="1")
    kinds = run_python(code, env).split()
    # Unset: the module keeps its compiled kernels (a CUDA call in the same process compiles them).
    assert kinds == (["JITFunction"] * 2 if interpret_at_import == "unset" else ["InterpretedFunction"] * 2)
