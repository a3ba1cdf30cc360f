"""`mirror bench diffusion --people` end to end on the tiny model: for each number of people, ours
and diffusers' pipeline run on the same frames and the report has their rows and the ratio."""
import argparse
import json

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("diffusers")

from mirror.render.diffusion import bench  # noqa: E402


def test_bench_compares_ours_with_the_diffusers_pipeline_for_each_number_of_people(capsys, tmp_path):
    parser = argparse.ArgumentParser()
    bench.add_arguments(parser)
    args = parser.parse_args(["--people", "1,2", "--diffusion-model", "tiny", "--device", "cpu", "--size", "128",
                              "--frames", "2", "--warmup", "1", "--camera", "96x72", "--threads", "1",
                              "--json", str(tmp_path / "bench.json")])
    threads = torch.get_num_threads()
    try:
        assert bench.run(args) == 0
    finally:
        torch.set_num_threads(threads)
    report = capsys.readouterr().out
    assert "RANDOM WEIGHTS" in report and "96x72 uint8 camera frames → 128x128 working size" in report
    result = json.loads((tmp_path / "bench.json").read_text())
    rows = {(r["people"], r["controlnet"], r["side"]): r for r in result["rows"]}
    assert set(rows) == {(n, c, side) for n in (1, 2) for c in (False, True) for side in ("ours", "diffusers")}
    for row in rows.values():
        assert row["fps_per_person"] > 0 and row["tick_p95_ms"] >= row["tick_p50_ms"] > 0
    lines = [line for line in report.splitlines() if line.split()[:1] in (["1"], ["2"])]
    assert len(lines) == 8 and all(line.rstrip().endswith("x") for line in lines if " diffusers " in line)
    parts = {(p["people"], p["controlnet"]): p["seconds"] for p in result["parts"]}
    assert set(parts) == {(1, False), (2, False), (1, True), (2, True)}
    assert {"stage", "encode", "unet", "decode", "emit"} <= set(parts[(2, False)])
    assert "controlnet" in parts[(1, True)] and "controlnet" not in parts[(1, False)]


def test_camera_frames_differ_and_the_standing_pose_is_inside_the_frame():
    frames = bench.camera_frames(3, 64, 48)
    assert all(f.shape == (48, 64, 3) for f in frames) and not (frames[0] == frames[1]).all()
    assert not (bench.camera_frames(1, 64, 48, seed=1)[0] == frames[0]).all()  # each person their own clip
    keypoints = bench.standing_keypoints(64, 48)
    assert (keypoints[:, 0] < 64).all() and (keypoints[:, 1] < 48).all() and (keypoints[:, 2] == 1).all()
