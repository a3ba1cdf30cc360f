"""A repaint keeps the props' colours: "give me a blue sword" stays blue under Van Gogh, while the
style still changes the whole picture."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from tests.render.painting import paint
from world import Prop, Scene

BLUE_HUE = 120  # OpenCV hue, 0..180


def mean_hue_and_saturation(image: np.ndarray, mask: np.ndarray) -> tuple[float, float]:
    hsv = cv2.cvtColor(image, cv2.COLOR_RGB2HSV)[mask]
    angle = hsv[:, 0].astype(np.float64) * (2 * np.pi / 180)
    hue = np.angle(np.mean(np.exp(1j * angle))) * 180 / (2 * np.pi) % 180  # circular mean
    return float(hue), float(hsv[:, 1].mean())


def blue_sword(catalog, style="van_gogh"):
    return Scene.empty().edit(props=(Prop(kind="sword", anchor=catalog.props["sword"].anchor, color="blue"),),
                              style=style)


def hue_distance(a: float, b: float) -> float:
    return min(abs(a - b), 180 - abs(a - b))


def test_a_blue_sword_stays_blue_under_van_gogh(catalog, still):
    drawn, painted, coverage = paint(catalog, still, blue_sword(catalog))
    sword = coverage > 200
    assert sword.sum() > 500, "the sword was drawn in front of the person"
    hue, saturation = mean_hue_and_saturation(painted, sword)
    # The art is a pale steel-blue blade on a deep blue hilt: as blue, and as saturated, as drawn.
    drawn_hue, drawn_saturation = mean_hue_and_saturation(drawn, sword)
    assert hue_distance(drawn_hue, BLUE_HUE) < 10
    assert hue_distance(hue, BLUE_HUE) < 15 and saturation > 0.8 * drawn_saturation, (hue, saturation)


def test_without_keeping_colours_the_repaint_turns_the_sword_to_the_styles_palette(catalog, still):
    _, washed, coverage = paint(catalog, still, blue_sword(catalog), keep_colours=False)
    hue, _ = mean_hue_and_saturation(washed, coverage > 200)
    assert hue_distance(hue, BLUE_HUE) > 40  # Van Gogh's yellows: what the person saw before


def test_the_style_still_changes_the_whole_picture_outside_the_props(catalog, still):
    drawn, painted, coverage = paint(catalog, still, blue_sword(catalog))
    outside = coverage == 0
    assert np.abs(painted[outside].mean(axis=0) - drawn[outside].mean(axis=0)).max() > 8
    plain_drawn, plain_painted, none = paint(catalog, still, Scene.empty().edit(style="van_gogh"))
    assert none is None  # no props, no coverage plane
    assert np.abs(plain_painted.reshape(-1, 3).std(axis=0) - plain_drawn.reshape(-1, 3).std(axis=0)).max() > 3 or \
        np.abs(plain_painted.reshape(-1, 3).mean(axis=0) - plain_drawn.reshape(-1, 3).mean(axis=0)).max() > 8
