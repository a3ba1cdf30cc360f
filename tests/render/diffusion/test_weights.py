"""`mirror weights`: what it would download and how it lays the files out (never downloads in tests)."""
import argparse
import json

import pytest

from mirror.render.diffusion.layout import LAYOUT, layout_problem
from tools.commands import weights


def test_help_lists_fetch_and_check(capsys):
    parser = argparse.ArgumentParser(prog="mirror weights")
    weights.add_arguments(parser)
    with pytest.raises(SystemExit) as exit_:
        parser.parse_args(["--help"])
    assert exit_.value.code == 0
    text = capsys.readouterr().out
    assert "fetch" in text and "check" in text and "--dest" in text and "--model" in text


def test_only_fp16_safetensors_and_small_files_are_fetched():
    for source in weights.plan(weights.MODEL_SETS["sd-turbo"], controlnet=True):
        assert source.licence
        for path_in_repo, _ in source.files:
            assert not path_in_repo.endswith((".bin", ".ckpt", ".pt", ".onnx")), path_in_repo
            if path_in_repo.startswith(("unet/", "text_encoder/")) and path_in_repo.endswith(".safetensors"):
                assert ".fp16." in path_in_repo  # SD-Turbo ships fp32 twins twice the size: never those


def test_the_controlnet_is_fetched_only_when_wanted():
    model_set = weights.MODEL_SETS["sd-turbo"]
    layout_of = lambda sources: {p.split("/")[0] for s in sources for _, p in s.files}  # noqa: E731
    assert layout_of(weights.plan(model_set, controlnet=True)) == set(LAYOUT)
    assert layout_of(weights.plan(model_set, controlnet=False)) == set(LAYOUT) - {"controlnet"}


def test_arranged_downloads_form_the_layout_the_stage_loads(tmp_path):
    sources = weights.plan(weights.MODEL_SETS["sd-turbo"], controlnet=True)
    staging, dest = tmp_path / "dest" / ".download", tmp_path / "dest"
    for source in sources:  # what hf_hub_download(local_dir=staging/<repo>) leaves behind
        for path_in_repo, _ in source.files:
            file = staging / source.repo / path_in_repo
            file.parent.mkdir(parents=True, exist_ok=True)
            file.write_text(json.dumps({}) if path_in_repo.endswith(".json") else "weights")
    assert layout_problem(dest) is not None
    weights.arrange(sources, staging, dest)
    assert layout_problem(dest) is None
    assert (dest / "unet" / "diffusion_pytorch_model.fp16.safetensors").is_file()
    assert (dest / "vae" / "diffusion_pytorch_model.safetensors").is_file()


def test_check_says_what_is_missing(tmp_path, capsys):
    args = argparse.Namespace(action="check", model="sd-turbo", dest=tmp_path / "none", controlnet=True)
    assert weights.run(args) == 1
    assert "mirror weights fetch --dest" in capsys.readouterr().out


def test_mirror_weights_help_works(capsys):
    from tools.cli import main

    with pytest.raises(SystemExit) as exit_:
        main(["weights", "--help"])
    assert exit_.value.code == 0 and "--dest" in capsys.readouterr().out
