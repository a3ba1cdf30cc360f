"""`mirror check gpu` on this CPU: every section runs (or says why not) on a box without the media
stack, writes its table and JSON, and a kernel that disagrees with its reference fails the check."""
import argparse
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("diffusers")
pytest.importorskip("triton")

from tests.render.diffusion.test_imports import BLOCKED, BLOCKER  # noqa: E402
from tools.commands import check  # noqa: E402

QUICK_CHECK = BLOCKER + textwrap.dedent("""
    import sys
    from tools.cli import main
    code = main(["check", "gpu", "--device", "cpu", "--quick", "--json", sys.argv[1]])
    leaked = [name for name in BLOCKED if name in sys.modules]
    assert not leaked, leaked
    sys.exit(code)
""")


def test_the_quick_cpu_check_runs_every_section_on_a_box_without_the_media_stack(tmp_path):
    root = Path(__file__).resolve().parents[2]
    out = tmp_path / "check.json"
    result = subprocess.run([sys.executable, "-c", QUICK_CHECK.format(blocked=BLOCKED), str(out)], cwd=root,
                            env={**os.environ, "PYTHONPATH": str(root)}, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    report = json.loads(out.read_text())
    assert report["ok"] and report["device"] == "cpu" and report["quick"]
    sections = report["sections"]
    assert list(sections) == ["environment", "kernels", "kernel bench", "diffusion", "live"]
    environment = {row["item"]: row["result"] for row in sections["environment"]["rows"]}
    assert environment["GPU"] == "none" and environment["torch"] == torch.__version__
    kernels = sections["kernels"]["rows"]
    assert {row["item"].split()[0] for row in kernels} == {
        "ingest_rgb", "ingest_i420", "emit_rgb", "emit_i420", "add_noise", "predict_x0", "draw_pose_map"}
    assert all(row["result"] == "ok" for row in kernels)
    assert all(row["result"] == "eager only" for row in sections["kernel bench"]["rows"][:-1])  # no GPU figure
    diffusion = [row["item"] for row in sections["diffusion"]["rows"]]
    for people in ("1 person", "2 people"):
        for controlnet in ("off", "on"):
            assert f"{people}, ControlNet {controlnet}" in diffusion
    assert sections["diffusion"]["data"]["rows"]  # the bench's own figures, in full
    assert sections["live"]["skipped"] == "--quick"
    table = result.stdout
    assert "section" in table and "kernels       draw_pose_map" in table and "results in" in table


def test_a_kernel_that_disagrees_with_its_reference_fails_the_check(monkeypatch, tmp_path, capsys):
    from gpu_kernels import latent_step

    def off_by_a_bit(x_t, model_out, alpha_bar, prediction_type="epsilon", out=None):
        wrong = latent_step.predict_x0_reference(x_t, model_out, alpha_bar, prediction_type) + 0.01
        return wrong if out is None else out.copy_(wrong)

    monkeypatch.setattr(latent_step, "predict_x0_triton", off_by_a_bit)
    for function, section in (("kernel_bench", "kernel bench"), ("diffusion", "diffusion"), ("live", "live")):
        # only the kernels matter here
        monkeypatch.setattr(check, function, lambda report, *args, name=section: report.skip(name, "not in this test"))
    args = argparse.Namespace(what="gpu", device="cpu", quick=True, json=str(tmp_path / "check.json"), people="1",
                              compile=False, live=False)
    assert check.run(args) == 1
    rows = json.loads((tmp_path / "check.json").read_text())["sections"]["kernels"]["rows"]
    wrong = [row for row in rows if row["result"] == "MISMATCH"]
    assert {row["item"].split()[0] for row in wrong} == {"predict_x0"} and all(row["failed"] for row in wrong)
    assert "FAILED in" in capsys.readouterr().out
