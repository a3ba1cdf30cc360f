"""Neural style presets: named weight vectors over the 26 styles multistyle26 learned.

The data lives in world/catalog/neural_presets.toml next to the catalog that names them
(`catalog.styles[id].neural` is a preset id), so presets are tuned without touching code.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mirror.render.neural.models import NUM_LEARNED
from world.catalog import CATALOG_DIR

PRESETS_FILE = CATALOG_DIR / "neural_presets.toml"


@dataclass(frozen=True)
class Preset:
    id: str
    weights: np.ndarray  # (26,) float32, sums to 1
    # Share of the repaint over the composite, 0..1: below 1 for styles so strong that faces get
    # lost at the network's small working size.
    mix: float = 1.0
    description: str = ""


@dataclass(frozen=True)
class Presets:
    presets: dict[str, Preset]
    learned_names: dict[int, str]  # learned style index → the name we gave it by looking at it

    def __contains__(self, preset_id: object) -> bool:
        return preset_id in self.presets

    def __getitem__(self, preset_id: str) -> Preset:
        return self.presets[preset_id]

    @classmethod
    def load(cls, path: Path = PRESETS_FILE) -> "Presets":
        with open(path, "rb") as f:
            data = tomllib.load(f)
        names = {int(k): str(v) for k, v in data.get("learned", {}).items()}
        presets = {}
        for preset_id, entry in data.get("presets", {}).items():
            mix = float(entry.get("mix", 1.0))
            if not 0.0 < mix <= 1.0:
                raise ValueError(f"{path}: preset {preset_id}: mix must be in (0, 1]")
            w = np.zeros(NUM_LEARNED, np.float32)
            for key, value in entry["weights"].items():
                index = int(key) if key.isdigit() else _index_of(names, key)
                if not 0 <= index < NUM_LEARNED or value < 0:
                    raise ValueError(f"{path}: preset {preset_id}: bad weight {key} = {value}")
                w[index] = value
            if w.sum() <= 0:
                raise ValueError(f"{path}: preset {preset_id} has no weight")
            presets[preset_id] = Preset(preset_id, w / w.sum(), mix, str(entry.get("description", "")))
        return cls(presets, names)


def _index_of(names: dict[int, str], name: str) -> int:
    for index, learned in names.items():
        if learned == name:
            return index
    raise ValueError(f"no learned style named {name!r}")
