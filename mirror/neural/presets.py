"""Neural style presets: named weight vectors over the 26 styles multistyle26 learned (data file)."""
from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from world.catalog import CATALOG_DIR

NUM_LEARNED = 26
PRESETS_FILE = CATALOG_DIR / "neural_presets.toml"


@dataclass(frozen=True)
class Presets:
    weights: dict[str, np.ndarray]  # preset id → (26,) float32, sums to 1
    mix: dict[str, float]  # preset id → share of the repaint over the composite, 0..1
    learned_names: dict[int, str]

    @classmethod
    def load(cls, path: Path = PRESETS_FILE) -> "Presets":
        with open(path, "rb") as f:
            data = tomllib.load(f)
        weights, mix = {}, {}
        for preset, entry in data.get("presets", {}).items():
            mix[preset] = float(entry.get("mix", 1.0))
            if not 0.0 < mix[preset] <= 1.0:
                raise ValueError(f"{path}: preset {preset}: mix must be in (0, 1]")
            w = np.zeros(NUM_LEARNED, np.float32)
            for index, value in entry["weights"].items():
                i = int(index)
                if not 0 <= i < NUM_LEARNED or value < 0:
                    raise ValueError(f"{path}: preset {preset}: bad weight {index} = {value}")
                w[i] = value
            if w.sum() <= 0:
                raise ValueError(f"{path}: preset {preset} has no weight")
            weights[preset] = w / w.sum()
        names = {int(k): v for k, v in data.get("learned", {}).items()}
        return cls(weights, mix, names)
