"""The catalog data: every phrase names one thing, and names are read from the data files."""
from __future__ import annotations

import shutil

import pytest

from world.catalog import CATALOG_DIR, Catalog, CatalogError


def test_names_are_loaded_beside_synonyms():
    catalog = Catalog.load()
    assert "hiroshige" in catalog.styles["ukiyo_e"].names
    assert "tatooine" in catalog.themes["desert"].names


def test_a_phrase_that_names_two_things_is_refused(tmp_path):
    for path in CATALOG_DIR.glob("*.toml"):
        shutil.copy(path, tmp_path / path.name)
    themes = tmp_path / "themes.toml"
    text = themes.read_text()
    desert = text.index("[desert]")
    names_at = text.index("names = [", desert) + len("names = [")
    themes.write_text(text[:names_at] + '"winterfell", ' + text[names_at:])
    with pytest.raises(CatalogError, match="theme desert: 'winterfell' already names theme game_of_thrones"):
        Catalog.load(tmp_path)
