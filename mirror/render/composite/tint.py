"""Recolouring library art ("make the dinosaur purple"): a hue shift that keeps alpha and shading.

The object library's art (Fluent Emoji) has no colour placeholders like the hand-made props'; it
has a main colour (the dinosaur's green) beside colours that are details (its eyes, its teeth).
`tint` finds the main colour, turns the hue of that family of pixels to the asked colour's, and
scales their saturation and value by one factor each towards the asked colour's, so light and shade
keep their ratios (a pixel half as bright as another stays half as bright). Alpha is never
touched; colours far from the main one (more than FAMILY_HUE away) are left as drawn. Works on
straight (not premultiplied) RGBA uint8, once per rasterised sprite (cached by the caller).
"""
from __future__ import annotations

import cv2
import numpy as np

# Hue distance (OpenCV's full-range hue, 0..255 for 360°) within which a pixel is of the main
# colour: shifted fully up to FAMILY_HUE, fading to untouched at twice that. 24 ≈ 34°: a green
# dinosaur's light and dark greens are one family, its red tongue is not.
FAMILY_HUE = 24
SATURATED = 60  # a pixel counts towards the main colour from this saturation (0..255)
# Asked colours below this saturation (white, grey, silver, black) have no hue: the family is
# desaturated and its value moved towards theirs instead.
ACHROMATIC = 40
# The value factor is kept in this range, so a dark colour asked for a pale thing stays a colour
# and does not flatten into black (or white).
VALUE_SCALE = (0.3, 1.6)


def main_hue(rgba: np.ndarray) -> tuple[float, float, float] | None:
    """(hue, saturation, value) of the art's main colour, in OpenCV's full-range HSV; None when the
    art has no saturated colour (a grey robot, a skull)."""
    hsv = cv2.cvtColor(np.ascontiguousarray(rgba[..., :3]), cv2.COLOR_RGB2HSV_FULL)
    mask = (rgba[..., 3] > 128) & (hsv[..., 1] >= SATURATED)
    if mask.sum() < 16:
        return None
    h, s, v = (hsv[..., i][mask].astype(np.float64) for i in range(3))
    angle = h * (2 * np.pi / 256)
    # The most common hue (a histogram's peak, weighted by saturation), not the mean: a red and
    # green thing is red or green, not the yellow between them.
    counts = np.bincount((h // 8).astype(int), weights=s, minlength=32)
    peak = (np.argmax(counts) + 0.5) * 8
    near = _hue_distance(h, peak) <= FAMILY_HUE
    hue = float(np.angle(np.mean(np.exp(1j * angle[near]))) * 256 / (2 * np.pi) % 256)
    return hue, float(np.median(s[near])), float(np.median(v[near]))


def tint(rgba: np.ndarray, color: tuple[int, int, int]) -> np.ndarray:
    """A new straight-alpha RGBA uint8 image: the art with its main colour turned to `color`."""
    target = cv2.cvtColor(np.uint8([[color]]), cv2.COLOR_RGB2HSV_FULL)[0, 0].astype(np.float32)
    hsv = cv2.cvtColor(np.ascontiguousarray(rgba[..., :3]), cv2.COLOR_RGB2HSV_FULL).astype(np.float32)
    h, s, v = hsv[..., 0], hsv[..., 1], hsv[..., 2]
    main = main_hue(rgba)
    if main is None:
        # No colour to turn: the whole thing takes the colour, with its own light and shade.
        weight = np.ones_like(h)
        main = (float(target[0]), float(max(target[1], 1.0)), float(np.median(v[rgba[..., 3] > 128]) or 1.0))
        s = np.maximum(s, target[1] * 0.6)
    else:
        weight = np.clip(2.0 - _hue_distance(h, main[0]) / FAMILY_HUE, 0.0, 1.0)
    main_h, main_s, main_v = main
    if target[1] < ACHROMATIC:
        s_scale = target[1] / max(main_s, 1.0)
        new_h = h
    else:
        s_scale = float(np.clip(target[1] / max(main_s, 1.0), 0.6, 1.4))
        shift = (target[0] - main_h + 128.0) % 256.0 - 128.0  # the short way round
        new_h = (h + shift * weight) % 256.0
    v_scale = float(np.clip(target[2] / max(main_v, 1.0), *VALUE_SCALE))
    new_s = s * (1.0 + (s_scale - 1.0) * weight)
    new_v = v * (1.0 + (v_scale - 1.0) * weight)
    out = np.dstack([new_h, np.clip(new_s, 0, 255), np.clip(new_v, 0, 255)]).round().astype(np.uint8)
    rgb = cv2.cvtColor(out, cv2.COLOR_HSV2RGB_FULL)
    return np.dstack([rgb, rgba[..., 3]])


def _hue_distance(h: np.ndarray, hue: float) -> np.ndarray:
    d = np.abs(h - hue) % 256.0
    return np.minimum(d, 256.0 - d)
