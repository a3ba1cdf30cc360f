"""`mirror weights fetch [--model NAME] [--dest DIR]`: download the diffusion stage's weights, once,
on a machine with internet; `mirror weights check --dest DIR`: is DIR complete?

The set (the only one so far, `sd-turbo`), fp16 safetensors only, arranged into the layout the
stage loads (mirror/render/diffusion/layout.py):

    unet/, text_encoder/, tokenizer/, scheduler/   stabilityai/sd-turbo        1.7 GB + 0.7 GB
        Stability AI Community License (the repository's LICENSE.md since July 2024, replacing the
        Non-Commercial Research Community License it was released under): research, non-commercial
        use, and commercial use by people and organisations under US$1M annual revenue; above that,
        Stability AI's Enterprise licence.
    vae/                                           madebyollin/taesd            10 MB   MIT
        TAESD, the tiny autoencoder: encodes and decodes a 512² frame in ~1 ms on a big GPU.
    controlnet/                                    thibaud/controlnet-sd21-openpose-diffusers,
                                                   revision refs/pr/2 (the safetensors conversion;
                                                   main has a pickle .bin only)   0.7 GB  "other"
        OpenPose ControlNet trained for SD 2.1, the base SD-Turbo was distilled from (same UNet
        shapes). Trained with SD 2.1's v-prediction at 768², so with SD-Turbo's one step the pose
        steers the picture less firmly than on its own base: a known-good starting point, not tuned.
        Its card's licence was openrail++ at release and has read "other" since August 2023; the
        same author's SD 2.1 ControlNet cards say the licence "refers to the different
        preprocessor's ones", which for OpenPose is CMU's own, non-commercial licence.

The licence lines were checked against the model cards' histories in December 2026 (the SD-Turbo
card's licence text itself and the OpenPose card's current wording were not read in full): the
fetch prints each card's address, read it before any commercial use.

Nothing here runs at serve time or in tests (they test `plan` and `arrange` only). The download
goes into DEST/.download first and is moved into place when every file has arrived, so an
interrupted fetch leaves no half layout behind the stage's check.
"""
from __future__ import annotations

import argparse
import logging
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from mirror.render.diffusion.layout import layout_problem

log = logging.getLogger(__name__)

DEFAULT_DEST = Path("models/diffusion")


@dataclass(frozen=True)
class Source:
    repo: str
    revision: str
    licence: str
    # path in the repository → path in the layout
    files: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class ModelSet:
    name: str
    about: str
    sources: tuple[Source, ...]
    controlnet: Source | None


SD_TURBO = Source(
    repo="stabilityai/sd-turbo", revision="main",
    licence="Stability AI Community License: research, non-commercial, and commercial use under US$1M annual "
            "revenue (above that, Stability AI's Enterprise licence); "
            "https://huggingface.co/stabilityai/sd-turbo/blob/main/LICENSE.md",
    files=(
        ("unet/config.json", "unet/config.json"),
        ("unet/diffusion_pytorch_model.fp16.safetensors", "unet/diffusion_pytorch_model.fp16.safetensors"),
        ("text_encoder/config.json", "text_encoder/config.json"),
        ("text_encoder/model.fp16.safetensors", "text_encoder/model.fp16.safetensors"),
        ("tokenizer/vocab.json", "tokenizer/vocab.json"),
        ("tokenizer/merges.txt", "tokenizer/merges.txt"),
        ("tokenizer/special_tokens_map.json", "tokenizer/special_tokens_map.json"),
        ("tokenizer/tokenizer_config.json", "tokenizer/tokenizer_config.json"),
        ("scheduler/scheduler_config.json", "scheduler/scheduler_config.json"),
    ),
)
TAESD = Source(
    repo="madebyollin/taesd", revision="main", licence="MIT; https://huggingface.co/madebyollin/taesd",
    files=(
        ("config.json", "vae/config.json"),
        ("diffusion_pytorch_model.safetensors", "vae/diffusion_pytorch_model.safetensors"),
    ),
)
OPENPOSE_SD21 = Source(
    repo="thibaud/controlnet-sd21-openpose-diffusers", revision="refs/pr/2",
    licence="the card says \"other\" (openrail++ until August 2023): the author refers to the preprocessor's "
            "licence, for OpenPose CMU's non-commercial one; read "
            "https://huggingface.co/thibaud/controlnet-sd21-openpose-diffusers before commercial use",
    files=(
        ("config.json", "controlnet/config.json"),
        ("diffusion_pytorch_model.safetensors", "controlnet/diffusion_pytorch_model.safetensors"),
    ),
)
MODEL_SETS = {
    "sd-turbo": ModelSet("sd-turbo", "SD-Turbo (one-step SD 2.1 distillation, 512²) + TAESD + OpenPose ControlNet",
                         (SD_TURBO, TAESD), OPENPOSE_SD21),
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=("fetch", "check"),
                        help="fetch: download into --dest; check: is --dest a complete model directory?")
    parser.add_argument("--model", default="sd-turbo", choices=sorted(MODEL_SETS), help="which set (default sd-turbo)")
    parser.add_argument("--dest", type=Path, default=DEFAULT_DEST,
                        help=f"model directory to write (default {DEFAULT_DEST}); serve with --diffusion-model DIR")
    parser.add_argument("--no-controlnet", dest="controlnet", action="store_false",
                        help="skip the OpenPose ControlNet (0.7 GB); serve with MIRROR_DIFFUSION_CONTROLNET=false")


def run(args: argparse.Namespace) -> int:
    model_set = MODEL_SETS[args.model]
    if args.action == "check":
        problem = layout_problem(args.dest, controlnet=args.controlnet)
        print(problem or f"{args.dest}: complete ({model_set.name} layout)")
        return 1 if problem else 0
    sources = plan(model_set, args.controlnet)
    print(f"{model_set.about}\ninto {args.dest}; the licences:")
    for source in sources:
        print(f"  {source.repo}: {source.licence}")
    staging = args.dest / ".download"
    try:
        fetch(sources, staging)
    except Exception as exc:  # network, auth (a gated repo wants `huggingface-cli login`), disk
        print(f"mirror weights fetch: {type(exc).__name__}: {exc}", file=sys.stderr)
        print(f"(the partial download stays in {staging}; run the command again to resume)", file=sys.stderr)
        return 1
    arrange(sources, staging, args.dest)
    problem = layout_problem(args.dest, controlnet=args.controlnet)
    if problem:
        print(f"mirror weights fetch: {problem}", file=sys.stderr)
        return 1
    shutil.rmtree(staging, ignore_errors=True)
    flag = "" if args.controlnet else " (with MIRROR_DIFFUSION_CONTROLNET=false)"
    print(f"done: mirror serve --stages composite,diffusion --diffusion-model {args.dest}{flag}")
    return 0


def plan(model_set: ModelSet, controlnet: bool = True) -> list[Source]:
    """The sources to download, the ControlNet's only when it is wanted."""
    return [*model_set.sources, *([model_set.controlnet] if controlnet and model_set.controlnet else [])]


def fetch(sources: list[Source], staging: Path) -> None:
    """Download each source's files (nothing else) into staging/<repo>/, resumably."""
    from huggingface_hub import hf_hub_download

    for source in sources:
        for path_in_repo, _ in source.files:
            print(f"  {source.repo}@{source.revision}: {path_in_repo}", flush=True)
            hf_hub_download(source.repo, path_in_repo, revision=source.revision,
                            local_dir=staging / source.repo)


def arrange(sources: list[Source], staging: Path, dest: Path) -> None:
    """Move the downloaded files from staging/<repo>/<path> into the stage's layout under dest."""
    for source in sources:
        for path_in_repo, path_in_layout in source.files:
            target = dest / path_in_layout
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(staging / source.repo / path_in_repo, target)
