"""gpu_kernels.bench on the CPU: it measures eager (and says it measured the CPU), never a GPU figure."""
import argparse
import json

import pytest

from gpu_kernels import bench


def test_cpu_bench_reports_eager_figures_and_no_triton_timing(capsys):
    code = bench.main(["--device", "cpu", "--iters", "1", "--size", "720p", "--only", "predict_x0,ingest_rgb", "--json"])
    assert code == 0
    result = json.loads(capsys.readouterr().out)
    assert result["measured_on"] == "cpu" and result["device"].startswith("CPU")
    assert result["copy_gbps"] > 0
    assert [(r["name"], r["shape"]) for r in result["rows"]] == [
        ("ingest_rgb", "720x1280 rgb -> 512x512"),
        ("predict_x0", "1x4x64x64 fp16 epsilon"),
    ]
    for row in result["rows"]:
        assert row["triton"] is None and row["compile"] is None and "eager_over_triton" not in row
        assert row["eager"]["ms"] > 0 and row["eager"]["gbps"] > 0
        assert row["eager"]["copy_fraction"] == pytest.approx(row["eager"]["gbps"] / result["copy_gbps"], rel=1e-3)


def test_cpu_table_says_what_it_measured(capsys):
    parser = argparse.ArgumentParser()
    bench.add_arguments(parser)  # how `mirror bench kernels` wraps it
    assert bench.run(parser.parse_args(["--device", "cpu", "--iters", "1", "--only", "predict_x0"])) == 0
    out = capsys.readouterr().out
    assert "measured on CPU" in out and "not a GPU estimate" in out
    assert "n/a (no GPU)" in out.splitlines()[-1]


def test_unknown_rows_are_refused():
    assert bench.main(["--device", "cpu", "--only", "softmax"]) == 2


def test_correctness_check_passes_the_kernels_and_catches_a_wrong_one():
    """On CUDA every row is checked against its reference before it is timed; here under the interpreter."""
    import torch

    cases = bench.build_cases(torch.device("cpu"), (36, 64), {"ingest_i420", "emit_i420", "predict_x0"})
    assert [c.name for c in cases] == ["ingest_i420", "emit_i420", "predict_x0"]
    assert [bench.check(c) for c in cases] == [None, None, None]
    wrong = cases[1]
    wrong.triton = lambda: tuple(torch.zeros_like(p) for p in wrong.eager())
    assert "not close" in bench.check(wrong)


def test_gpu_table_shows_ratios_and_mismatches(capsys):
    import torch

    timings = {"ms": 0.01, "gbps": 900.0, "copy_fraction": 0.2}
    result = {"device": "NVIDIA H200", "torch": "2.13", "triton": "3.9", "copy_gbps": 4000.0, "rows": [
        {"name": "emit_i420", "shape": "512x512 -> 1080x1920 i420", "bytes": 4_680_000, "triton": timings,
         "eager": dict(timings, ms=0.05), "compile": None, "compile_error": "BackendCompilerFailed: x",
         "eager_over_triton": 5.0},
        {"name": "add_noise", "shape": "1x4x64x64", "bytes": 131_072, "triton": timings, "eager": timings,
         "compile": timings, "eager_over_triton": 1.0, "compile_over_triton": 1.0, "mismatch": "Tensor-likes are not close!"},
    ]}
    bench.print_table(result, torch.device("cuda"))
    lines = capsys.readouterr().out.splitlines()
    assert "n/a (no GPU)" not in "\n".join(lines) and "not a GPU estimate" not in "\n".join(lines)
    assert "5.00x" in lines[-3] and "failed" in lines[-3]
    assert lines[-2].startswith("add_noise MISMATCH") and lines[-1].startswith("MISMATCH add_noise")
