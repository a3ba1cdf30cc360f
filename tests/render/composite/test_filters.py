"""Style filters and backdrops at several frame sizes; the cut-out's time behaviour."""
import numpy as np
import pytest

from mirror.render.composite.backdrops import PAINTERS, Backdrop
from mirror.render.composite.cutout import PersonCutout
from mirror.render.composite.filters import FILTER_IDS, FilterBank
from tests.camera_clip import clip_frames
from world import Catalog

import cv2

SIZES = [(640, 480), (320, 240), (250, 170)]


@pytest.fixture(scope="module")
def photo():
    return next(iter(clip_frames(1))).image


def test_every_catalog_style_names_a_known_filter_and_every_theme_has_a_painted_backdrop():
    catalog = Catalog.load()
    assert {s.filter for s in catalog.styles.values()} <= set(FILTER_IDS)
    assert {t.backdrop for t in catalog.themes.values()} <= set(PAINTERS)


@pytest.mark.parametrize("filter_id", FILTER_IDS)
@pytest.mark.parametrize("size", SIZES)
def test_filter_keeps_size_and_changes_the_picture(filter_id, size, photo):
    image = cv2.resize(photo, size, interpolation=cv2.INTER_AREA)
    out = FilterBank().apply(filter_id, image, 0.5)
    assert out.shape == image.shape and out.dtype == np.uint8
    assert np.abs(out.astype(int) - image.astype(int)).mean() > 3


def test_filter_strength_zero_is_the_input(photo):
    assert np.array_equal(FilterBank().apply("comic", photo, 0.0, strength=0.0), photo)


@pytest.mark.parametrize("theme", sorted(PAINTERS))
@pytest.mark.parametrize("size", SIZES)
def test_backdrop_renders_and_animates(theme, size):
    w, h = size
    backdrop = Backdrop(theme, w, h)
    first = backdrop.render(0.0).copy()
    later = backdrop.render(1.0)
    assert first.shape == (h, w, 3) and first.dtype == np.uint8
    assert not np.array_equal(first, later), "nothing moves"
    assert np.array_equal(backdrop.render(0.0), first), "the same time draws the same picture"


def test_cutout_steadies_a_flickering_matte_and_feathers_its_edge():
    matte = np.zeros((120, 160), np.float32)
    matte[30:90, 40:120] = 1.0
    cutout = PersonCutout()
    alpha, inverse = cutout.update(matte, 0.0)
    assert alpha[60, 80] > 0.99 and alpha[5, 5] < 0.01
    assert 0.05 < alpha[60, 40] < 0.95  # a soft edge, not a step
    np.testing.assert_allclose(alpha + inverse, 1.0, atol=1e-6)
    empty = np.zeros_like(matte)  # one frame where segmentation lost the person
    alpha, _ = cutout.update(empty, 1 / 30)
    assert alpha[60, 80] > 0.3  # the person does not vanish in one frame
    for i in range(2, 12):
        alpha, _ = cutout.update(np.zeros_like(matte), i / 30)
    assert alpha[60, 80] < 0.05  # …but follows within a few frames
