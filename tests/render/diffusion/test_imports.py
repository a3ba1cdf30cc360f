"""The diffusion stage, its bench and gpu_kernels/ run on a bare GPU box: torch, diffusers, transformers
and numpy, nothing of the mirror's WebRTC, vision or media stack."""
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("diffusers")

BLOCKED = ("aiortc", "mediapipe", "av", "cv2", "starlette", "onnxruntime")

# Makes the media stack look uninstalled in a fresh interpreter: what a bare GPU box has.
BLOCKER = textwrap.dedent("""
    import importlib.abc, importlib.machinery, runpy, sys

    BLOCKED = {blocked!r}

    class Refuse(importlib.abc.Loader):
        def create_module(self, spec):
            raise ModuleNotFoundError(f"{{spec.name}} is blocked by the test: it would be missing on a bare GPU box",
                                      name=spec.name)

        def exec_module(self, module):
            pass

    class NotInstalled(importlib.abc.MetaPathFinder):
        # Probes (importlib.util.find_spec) still see the module; importing it fails.
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in BLOCKED:
                return importlib.machinery.ModuleSpec(name, Refuse())
            return None

    sys.meta_path.insert(0, NotInstalled())
""")
SCRIPT = BLOCKER + textwrap.dedent("""
    import gpu_kernels.frame_io, gpu_kernels.latent_step, gpu_kernels.pose_map
    import mirror.render.diffusion
    from mirror.render.diffusion import bench, engine, models, prompt, stage, step
    sys.argv = ["bench", "--help"]
    try:
        runpy.run_module("mirror.render.diffusion.bench", run_name="__main__")
    except SystemExit as exit_:
        assert exit_.code == 0, exit_.code
    leaked = [name for name in BLOCKED if name in sys.modules]
    assert not leaked, leaked
    print("light")
""")


@pytest.mark.parametrize("where", ["installed", "repository root"])
def test_the_stage_and_its_bench_import_without_the_media_stack(tmp_path, where):
    # As the installed package, and from the repository root as `PYTHONPATH=. python -m …` runs it on
    # a bare GPU box (the package is gpu_kernels, not kernels: Hugging Face's `kernels` distribution,
    # which transformers imports, must not be shadowed).
    root = Path(__file__).resolve().parents[3]
    result = subprocess.run([sys.executable, "-c", SCRIPT.format(blocked=BLOCKED)],
                            cwd=tmp_path if where == "installed" else root,
                            env={**os.environ, "PYTHONPATH": "" if where == "installed" else str(root)},
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "light" in result.stdout and "--people" in result.stdout


def test_importing_the_stage_imports_no_torch(tmp_path):
    script = ("import sys; from mirror.render.diffusion import DiffusionStage; "
              "assert 'torch' not in sys.modules and 'diffusers' not in sys.modules; print('ok')")
    result = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and "ok" in result.stdout, result.stderr[-3000:]
