"""The neural repaint: a real pretrained style network over the composite, blendable and steady."""
from __future__ import annotations

import itertools

import cv2
import numpy as np
import pytest

from tools.bench.neural import flicker_with_and_without_stabilisation
from mirror.render.neural import NeuralRepaint
from mirror.server.settings import Settings
from tools.testclip import clip_frames
from world import Scene
from world import edits


@pytest.fixture(scope="module")
def settings():
    return Settings.load(environ={})


@pytest.fixture(scope="module")
def photo():
    return next(clip_frames(1)).image


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def painted(settings, catalog, image, style, strength=1.0):
    stage = NeuralRepaint(settings.replace(neural_stabilize=False), catalog, clock=itertools.count().__next__)
    scene = edits.set_style(Scene.empty(), style)
    scene = scene.edit(style_strength=strength)
    stage.render(image, None, scene)  # starts the fade-in
    return stage.render(image, None, scene)


def outline_shift(photo: np.ndarray, out: np.ndarray) -> float:
    """How far (px, 75th percentile) the photo's strong outlines are from any edge in `out`.
    Brush strokes add edges and soften weak ones; a layout that moved would move these."""
    def edges(img, low, high):
        gray = cv2.GaussianBlur(cv2.cvtColor(img, cv2.COLOR_RGB2GRAY), (5, 5), 0)
        return cv2.Canny(gray, low, high) > 0

    strong, found = edges(photo, 150, 300), edges(out, 40, 80)
    dist = cv2.distanceTransform((~found).astype(np.uint8), cv2.DIST_L2, 3)
    return float(np.percentile(dist[strong], 75))


@pytest.mark.parametrize("style", ["van_gogh", "watercolor", "oil_painting", "mosaic", "ukiyo_e", "impressionist", "comic"])
def test_repaint_changes_the_look_and_keeps_the_layout(settings, catalog, photo, style):
    shifted = np.roll(photo, 8, axis=1)
    assert outline_shift(photo, shifted) > 3.0  # the measure does see a layout that moved
    out = painted(settings, catalog, photo, style)
    assert out.shape == photo.shape and out.dtype == np.uint8
    assert np.abs(out.astype(int) - photo).mean() > 15  # a real repaint, not a tint
    assert outline_shift(photo, out) <= 3.0  # the person's outlines stay where they were


def test_a_style_change_changes_colour_statistics(settings, catalog, photo):
    van_gogh = painted(settings, catalog, photo, "van_gogh").reshape(-1, 3).mean(axis=0)
    watercolor = painted(settings, catalog, photo, "watercolor").reshape(-1, 3).mean(axis=0)
    assert np.abs(van_gogh - watercolor).max() > 15


def test_style_change_blends_over_half_a_second(settings, catalog, photo):
    clock = Clock()
    stage = NeuralRepaint(settings.replace(neural_stabilize=False), catalog, clock=clock)
    a_scene, b_scene = edits.set_style(Scene.empty(), "van_gogh"), edits.set_style(Scene.empty(), "watercolor")
    stage.render(photo, None, a_scene)
    clock.now = 1.0
    a = stage.render(photo, None, a_scene).astype(float)
    stage.render(photo, None, b_scene)  # the switch starts at t = 1.0
    clock.now = 1.25
    half = stage.render(photo, None, b_scene).astype(float)
    clock.now = 2.0
    b = stage.render(photo, None, b_scene).astype(float)
    d = lambda x, y: np.abs(x - y).mean()  # noqa: E731
    assert 0 < d(half, a) < d(b, a)
    assert 0 < d(half, b) < d(a, b)


def test_strength_blends_composite_and_repaint(settings, catalog, photo):
    full = painted(settings, catalog, photo, "van_gogh").astype(float)
    half = painted(settings, catalog, photo, "van_gogh", strength=0.5).astype(float)
    assert np.abs(half - (full + photo) / 2).mean() < 2.0


def test_no_neural_style_returns_the_composite_untouched(settings, catalog, photo):
    stage = NeuralRepaint(settings, catalog)
    assert stage.render(photo, None, Scene.empty()) is photo
    assert stage.render(photo, None, edits.set_style(Scene.empty(), "anime")) is photo  # a filter-only style


def test_stabilisation_at_least_halves_flicker(settings, catalog):
    raw, stable = flicker_with_and_without_stabilisation(settings, catalog, edits.set_style(Scene.empty(), "van_gogh"))
    print(f"\nflicker without {raw:.2f}, with {stable:.2f} ({raw / stable:.1f}x less)")
    assert raw / stable >= 2.0


def test_a_style_change_on_a_still_person_shows_the_new_style_once_the_blend_is_over(settings, catalog, photo):
    # The stabiliser holds still pixels; it must not hold the old style too.
    clock = Clock()
    stage = NeuralRepaint(settings, catalog, clock=clock)  # stabiliser on
    for style in ("van_gogh", "watercolor"):
        for _ in range(3):
            stage.render(photo, None, edits.set_style(Scene.empty(), style))
            clock.now += 0.3
    steady = stage.render(photo, None, edits.set_style(Scene.empty(), "watercolor")).astype(float)
    fresh = painted(settings, catalog, photo, "watercolor").astype(float)
    assert np.abs(steady - fresh).mean() < 2.0


def test_the_frame_returned_stays_intact_while_the_next_is_painted(settings, catalog, photo):
    stage = NeuralRepaint(settings.replace(neural_stabilize=False), catalog, clock=itertools.count().__next__)
    scene = edits.set_style(Scene.empty(), "van_gogh")
    stage.render(photo, None, scene)
    first = stage.render(photo, None, scene)
    kept = first.copy()
    second = stage.render(np.ascontiguousarray(photo[::-1]), None, scene)  # a different frame
    assert second is not first and np.array_equal(first, kept)
    assert stage.render(photo, None, scene) is first  # two buffers, used in turn: no allocation per frame


def test_the_stage_declares_what_it_needs(settings, catalog):
    from mirror.render.stage import NEURAL_STYLE, Needs, RenderStage

    stage = NeuralRepaint(settings, catalog)
    assert isinstance(stage, RenderStage)
    assert (stage.name, stage.needs, stage.own_thread, stage.provides) == \
        ("neural", Needs(weights=True, planes=True), True, frozenset({NEURAL_STYLE}))
    assert stage.size[0] % 4 == 0 and stage.size[1] % 4 == 0
