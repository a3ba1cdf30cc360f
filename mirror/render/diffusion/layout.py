"""The model directory the diffusion stage loads, checked without torch (start-up, `mirror weights`).

    DIR/unet/          config.json + diffusion_pytorch_model[.fp16].safetensors   UNet2DConditionModel (SD-Turbo)
    DIR/vae/           config.json + diffusion_pytorch_model[.fp16].safetensors   AutoencoderTiny (TAESD)
    DIR/text_encoder/  config.json + model[.fp16].safetensors                     CLIPTextModel (OpenCLIP ViT-H)
    DIR/tokenizer/     vocab.json + merges.txt, or tokenizer.json                 CLIPTokenizer
    DIR/scheduler/     scheduler_config.json                                      the noise schedule
    DIR/controlnet/    config.json + diffusion_pytorch_model[.fp16].safetensors   ControlNetModel (OpenPose);
                                                                                  needed only with the ControlNet on

Each subfolder is what diffusers' / transformers' `save_pretrained` writes, so `from_pretrained`
reads it; `mirror weights fetch --dest DIR` arranges the downloads this way.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

FETCH_HINT = "mirror weights fetch --dest {dir}"
WEIGHT_SUFFIXES = (".safetensors", ".bin")
# Subfolder → the files that must be there. "*weights": some file ending in WEIGHT_SUFFIXES;
# "*tokenizer": tokenizer.json (as transformers 5 saves) or vocab.json + merges.txt (as SD-Turbo ships).
LAYOUT: dict[str, tuple[str, ...]] = {
    "unet": ("config.json", "*weights"),
    "vae": ("config.json", "*weights"),
    "text_encoder": ("config.json", "*weights"),
    "tokenizer": ("*tokenizer",),
    "scheduler": ("scheduler_config.json",),
    "controlnet": ("config.json", "*weights"),
}


class DiffusionWeightsError(RuntimeError):
    """Weights missing or unreadable; the message is one sentence that names the fetch command."""


def required_subfolders(controlnet: bool) -> list[str]:
    return [sub for sub in LAYOUT if controlnet or sub != "controlnet"]


def layout_problem(directory: str | os.PathLike, controlnet: bool = True) -> str | None:
    """Why `directory` is not a loadable model directory (one sentence naming the fix), or None.

    Cheap: looks at file names and parses the small JSON files; reads no weights."""
    directory = Path(directory)
    fetch = FETCH_HINT.format(dir=directory)
    if not directory.is_dir():
        return f"no diffusion weights in {directory} (not a directory): run `{fetch}`"
    wanted = required_subfolders(controlnet)
    missing = [sub for sub in wanted if not (directory / sub).is_dir()]
    if len(missing) == len(wanted):
        return f"no diffusion weights in {directory}: run `{fetch}`"
    if missing:
        return f"diffusion weights in {directory} lack {', '.join(s + '/' for s in missing)}: run `{fetch}`"
    for sub in wanted:
        folder = directory / sub
        for name in LAYOUT[sub]:
            if name == "*weights":
                if not any(p.name.endswith(WEIGHT_SUFFIXES) for p in folder.iterdir()):
                    return f"diffusion weights in {directory} lack a weights file in {sub}/: run `{fetch}`"
                continue
            if name == "*tokenizer":
                if (folder / "tokenizer.json").is_file():
                    name = "tokenizer.json"
                elif (folder / "merges.txt").is_file():
                    name = "vocab.json"
                else:
                    return f"diffusion weights in {directory} lack {sub}/vocab.json and merges.txt: run `{fetch}`"
            path = folder / name
            if not path.is_file():
                return f"diffusion weights in {directory} lack {sub}/{name}: run `{fetch}`"
            if name.endswith(".json"):
                try:
                    json.loads(path.read_text())
                except (OSError, ValueError) as exc:
                    return f"{sub}/{name} in {directory} is broken ({exc}): run `{fetch}` again"
    return None
