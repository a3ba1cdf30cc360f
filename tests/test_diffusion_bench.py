"""`mirror bench diffusion` end to end on the tiny model: both sides run and the report has its rows."""
import argparse

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("diffusers")

from mirror.render.diffusion import bench  # noqa: E402


@pytest.mark.parametrize("controlnet", [False, True], ids=["img2img", "controlnet"])
def test_bench_compares_ours_with_the_diffusers_pipeline(capsys, controlnet):
    parser = argparse.ArgumentParser()
    bench.add_arguments(parser)
    argv = ["--diffusion-model", "tiny", "--device", "cpu", "--size", "64", "--frames", "2", "--camera", "96x64"]
    args = parser.parse_args(argv + (["--controlnet"] if controlnet else []))
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        assert bench.run(args) == 0
    finally:
        torch.set_num_threads(threads)
    report = capsys.readouterr().out
    assert "RANDOM WEIGHTS" in report
    for row in ("ours (step + runner)", "diffusers pipeline, prompt text", "diffusers pipeline, prompt_embeds cached"):
        assert row in report
    assert "ours / diffusers pipeline, prompt text:" in report
    for part in ("ingest", "encode", "unet", "decode", "emit"):
        assert f"  {part} " in report
    assert ("  controlnet " in report) == controlnet


def test_camera_frames_differ_and_the_standing_pose_is_inside_the_frame():
    frames = bench.camera_frames(3, 64, 48)
    assert all(f.shape == (48, 64, 3) for f in frames) and not (frames[0] == frames[1]).all()
    keypoints = bench.standing_keypoints(64, 48)
    assert (keypoints[:, 0] < 64).all() and (keypoints[:, 1] < 48).all() and (keypoints[:, 2] == 1).all()
