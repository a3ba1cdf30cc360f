"""Neural presets: the catalog's styles map to named blends of the 26 learned styles (a data file)."""
from __future__ import annotations

import numpy as np
import pytest

from mirror.render.neural.models import NUM_LEARNED
from mirror.render.neural.presets import Presets
from world import Catalog

REQUIRED = ["oil_painting", "watercolor", "van_gogh", "mosaic", "impressionist", "ukiyo_e", "comic"]


def test_every_neural_style_of_the_catalog_has_a_preset():
    presets = Presets.load()
    named = {s.neural for s in Catalog.load().styles.values() if s.neural}
    assert named >= set(REQUIRED)
    assert named <= set(presets.presets)


def test_every_learned_style_has_a_name_and_every_preset_is_a_normalised_blend():
    presets = Presets.load()
    assert sorted(presets.learned_names) == list(range(NUM_LEARNED))
    assert len(set(presets.learned_names.values())) == NUM_LEARNED
    for preset in presets.presets.values():
        assert preset.weights.shape == (NUM_LEARNED,) and preset.weights.dtype == np.float32
        assert preset.weights.min() >= 0 and preset.weights.sum() == pytest.approx(1.0)
        assert 0 < preset.mix <= 1 and preset.description


def test_presets_can_name_learned_styles_by_name(tmp_path):
    path = tmp_path / "presets.toml"
    path.write_text('[learned]\n19 = "starry"\n0 = "pastel"\n'
                    '[presets.night]\nweights = { starry = 3, 0 = 1 }\n')
    night = Presets.load(path)["night"]
    assert night.weights[19] == pytest.approx(0.75) and night.weights[0] == pytest.approx(0.25)


@pytest.mark.parametrize("entry, complaint", [
    ("weights = { 26 = 1 }", "bad weight 26"),
    ("weights = { 3 = -1, 4 = 2 }", "bad weight 3"),
    ("weights = { 3 = 0 }", "has no weight"),
    ("weights = { 3 = 1 }\nmix = 1.5", "mix must be in"),
])
def test_a_bad_preset_is_refused_naming_the_preset(tmp_path, entry, complaint):
    path = tmp_path / "presets.toml"
    path.write_text(f"[presets.broken]\n{entry}\n")
    with pytest.raises(ValueError, match=f"preset broken.*{complaint}"):
        Presets.load(path)
