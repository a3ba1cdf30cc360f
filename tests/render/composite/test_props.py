"""Prop artwork: every catalog prop has SVG art with a pivot, recolours, rasterises and is placed
by its pivot, rotation and height as the layout contract says."""
import numpy as np
import pytest

from mirror.render.composite.props import (COLOR_PLACEHOLDER, SpriteCache, available_assets, draw_sprite, load_art,
                                    rasterize, recolored_svg, size_bucket)
from world import Catalog

CATALOG = Catalog.load()


@pytest.mark.parametrize("asset", sorted({p.asset for p in CATALOG.props.values()}))
def test_every_catalog_prop_has_recolourable_art_with_a_pivot(asset):
    art = load_art(asset)
    assert 0 <= art.pivot[0] <= 1 and 0 <= art.pivot[1] <= 1
    assert COLOR_PLACEHOLDER in art.svg
    sprite = rasterize(art, (10, 200, 30), 120)
    assert sprite.shape[0] == 120 and sprite.shape[2] == 4
    assert (sprite[..., 3] > 0).mean() > 0.05  # something is drawn
    assert COLOR_PLACEHOLDER not in recolored_svg(art, (10, 200, 30))


def test_there_is_art_for_at_least_the_25_catalog_props():
    assert len(available_assets()) >= 25
    assert {p.asset for p in CATALOG.props.values()} <= set(available_assets())


def test_recolouring_changes_only_the_placeholder_regions():
    art = load_art("sword")
    red, blue = rasterize(art, (220, 30, 30), 200), rasterize(art, (30, 30, 220), 200)
    differ = np.abs(red.astype(int) - blue.astype(int)).max(axis=2) > 0
    assert 0.05 < differ.sum() / (red[..., 3] > 0).sum() < 0.6  # the hilt, not the blade


def test_sprite_cache_rasterises_once_per_asset_colour_and_size_bucket():
    cache = SpriteCache()
    cache.get("crown", (200, 0, 0), 100)
    cache.get("crown", (200, 0, 0), 102)  # same bucket
    assert cache.misses == 1
    cache.get("crown", (0, 0, 200), 100)
    cache.get("crown", (200, 0, 0), 300)
    assert cache.misses == 3
    assert size_bucket(100) != size_bucket(130)


def drawn_box(canvas: np.ndarray) -> tuple[int, int, int, int]:
    ys, xs = np.nonzero(canvas.max(axis=2) > 0)
    return xs.min(), ys.min(), xs.max(), ys.max()


def test_sprite_is_drawn_with_its_pivot_at_the_point_and_at_the_height():
    art = load_art("sword")  # pivot on the grip, near the bottom; the blade points up
    sprite = rasterize(art, (200, 0, 0), size_bucket(200))
    canvas = np.zeros((400, 400, 3), np.uint8)
    draw_sprite(canvas, sprite, art, 200, 300, 0.0, 200)
    x0, y0, x1, y1 = drawn_box(canvas)
    assert 185 <= y1 - y0 <= 201  # the art's own margin is part of the height
    assert abs(y0 - (300 - art.pivot[1] * 200)) <= 8  # the tip is the pivot's distance above
    assert canvas[300, 200].max() > 0


def test_angle_turns_the_artwork_clockwise_about_the_pivot():
    art = load_art("sword")
    sprite = rasterize(art, (200, 0, 0), size_bucket(200))
    canvas = np.zeros((400, 400, 3), np.uint8)
    draw_sprite(canvas, sprite, art, 100, 200, 90.0, 200)  # "up" now points right
    x0, y0, x1, y1 = drawn_box(canvas)
    assert abs(x1 - (100 + art.pivot[1] * 200)) <= 8  # the tip is to the right of the pivot
    assert x0 >= 100 - (1 - art.pivot[1]) * 200 - 8
    assert (y1 - y0) < 80


def test_sprite_partly_outside_the_frame_is_clipped_and_opacity_fades_it():
    art = load_art("crown")
    sprite = rasterize(art, (200, 200, 0), 100)
    canvas = np.zeros((120, 160, 3), np.uint8)
    draw_sprite(canvas, sprite, art, 5, 10, 30.0, 100)
    draw_sprite(canvas, sprite, art, 1000, 1000, 0.0, 100)  # entirely outside: nothing, no error
    full = np.zeros((200, 200, 3), np.uint8)
    faint = np.zeros((200, 200, 3), np.uint8)
    draw_sprite(full, sprite, art, 100, 150, 0.0, 100)
    draw_sprite(faint, sprite, art, 100, 150, 0.0, 100, opacity=0.5)
    assert 0.4 < faint.astype(float).sum() / full.astype(float).sum() < 0.6
