"""Animated theme backdrops, drawn procedurally with numpy/OpenCV.

A backdrop is a static picture painted once per (theme, frame size) — sky gradient, far
silhouettes, sun or moon — plus cheap animated parts drawn each frame: a drifting band (clouds,
fog, waves: parallax against the static layer), small animated details (flickering neon signs, a
glowing lava flow) and particles (particles.py). Themes not listed here get a plain gradient from
their id, so a catalog can add themes before it gets art.
"""
from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from typing import Callable

import cv2
import numpy as np

from mirror.render.composite.particles import ParticleSpec, Particles

AA = cv2.LINE_AA


# ---------------------------------------------------------------- drawing primitives

def gradient(w: int, h: int, stops: list[tuple[float, tuple[int, int, int]]]) -> np.ndarray:
    """Vertical gradient through (fraction of height, RGB) stops → RGB uint8 (h, w, 3)."""
    ys = np.linspace(0, 1, h)
    pos = [s[0] for s in stops]
    column = np.stack([np.interp(ys, pos, [s[1][c] for s in stops]) for c in range(3)], axis=1)
    return np.repeat(column[:, None, :], w, axis=1).astype(np.uint8)


def ridge(w: int, h: int, base: float, amplitude: float, seed: int, roughness: int = 5,
          sharp: bool = False) -> np.ndarray:
    """A skyline of hills/mountains: polygon points (x, y) in pixels, closed along the bottom."""
    rng = np.random.default_rng(seed)
    xs = np.linspace(0, w, 64)
    y = np.zeros_like(xs)
    for octave in range(roughness):
        freq = 2 ** octave
        y += rng.uniform(-1, 1) * np.sin(xs / w * math.pi * freq * 1.3 + rng.uniform(0, 6)) / (octave + 1)
    if sharp:
        y = -np.abs(y)
    y = base * h - amplitude * h * y / (np.abs(y).max() + 1e-6)
    pts = np.stack([xs, y], 1)
    return np.vstack([pts, [[w, h], [0, h]]]).astype(np.int32)


def glow_disc(img: np.ndarray, cx: float, cy: float, r: float, color, glow: float = 2.5, strength: float = 0.5) -> None:
    h, w = img.shape[:2]
    ys, xs = np.ogrid[0:h, 0:w]
    d = np.sqrt((xs - cx) ** 2 + (ys - cy) ** 2)
    halo = np.clip(1 - (d - r) / (r * glow), 0, 1) ** 2 * strength
    img[:] = np.clip(img * (1 - halo[..., None]) + np.array(color) * halo[..., None], 0, 255).astype(np.uint8)
    cv2.circle(img, (int(cx), int(cy)), int(r), tuple(int(c) for c in color), -1, AA)


def shade(color, k: float) -> tuple[int, int, int]:
    return tuple(int(max(0, min(255, c * k))) for c in color)


# ---------------------------------------------------------------- theme description

@dataclass
class Band:
    """A horizontal strip (RGBA, twice the frame width, tiled) that drifts sideways."""

    rgba: np.ndarray  # (bh, 2w, 4) uint8
    y0: int
    speed: float  # px/s (at the frame's own scale)


@dataclass
class Painting:
    static: np.ndarray  # RGB uint8 (h, w, 3)
    bands: list[Band] = field(default_factory=list)
    particles: list[ParticleSpec] = field(default_factory=list)
    # Per-frame details drawn in place: fn(image, t).
    animations: list[Callable[[np.ndarray, float], None]] = field(default_factory=list)


def _band(w: int, h: int, y0f: float, y1f: float, painter: Callable[[np.ndarray, np.ndarray], None],
          speed: float) -> Band:
    y0, y1 = int(y0f * h), max(int(y0f * h) + 2, int(y1f * h))
    rgb = np.zeros((y1 - y0, 2 * w, 3), np.uint8)
    alpha = np.zeros((y1 - y0, 2 * w), np.uint8)
    painter(rgb, alpha)
    # Fade the strip out towards its top and bottom rows so it has no hard horizontal edge.
    fade = np.minimum(1.0, np.minimum(np.arange(y1 - y0), np.arange(y1 - y0)[::-1]) / max(1.0, 0.2 * (y1 - y0)))
    alpha[:] = (alpha * fade[:, None]).astype(np.uint8)
    # Make it tile: the right half repeats the left so the wrap-around has no seam.
    rgb[:, w:] = rgb[:, :w]
    alpha[:, w:] = alpha[:, :w]
    return Band(np.dstack([rgb, alpha]), y0, speed * h / 480)


def _clouds(color, count: int, seed: int, blur: float, opacity: int):
    def paint(rgb: np.ndarray, alpha: np.ndarray) -> None:
        rng = np.random.default_rng(seed)
        bh, bw = alpha.shape
        w = bw // 2
        rgb[:] = color
        tile = np.zeros((bh, w), np.uint8)
        for _ in range(count):
            cx, cy = rng.uniform(0, w), rng.uniform(0.35, 0.65) * bh
            for _ in range(5):
                centre_x, centre_y = cx + rng.normal(0, bh * 0.5), cy + rng.normal(0, bh * 0.08)
                axes = (int(rng.uniform(0.4, 1.0) * bh), int(rng.uniform(0.12, 0.22) * bh))
                for shift in (-w, 0, w):  # drawn wrapped, so the tile repeats without a seam
                    cv2.ellipse(tile, (int(centre_x + shift), int(centre_y)), axes, 0, 0, 360, opacity, -1)
        k = max(1, int(blur * bh)) | 1
        alpha[:, :w] = cv2.GaussianBlur(np.hstack([tile, tile, tile]), (k, k), 0)[:, w:2 * w]
    return paint


# ---------------------------------------------------------------- themes

def paint_game_of_thrones(w, h):
    img = gradient(w, h, [(0, (38, 40, 58)), (0.5, (96, 74, 80)), (0.75, (168, 96, 60)), (1, (60, 40, 34))])
    glow_disc(img, w * 0.78, h * 0.42, h * 0.06, (255, 190, 120), glow=4, strength=0.5)
    cv2.fillPoly(img, [ridge(w, h, 0.7, 0.08, 1)], (52, 44, 48), AA)
    # A castle: walls, towers with crenellations, a keep.
    stone = (34, 30, 36)
    base = int(h * 0.72)
    cv2.rectangle(img, (int(w * 0.05), int(h * 0.52)), (int(w * 0.95), base), stone, -1)
    for fx, top, tw in ((0.08, 0.30, 0.07), (0.28, 0.40, 0.06), (0.47, 0.18, 0.09), (0.68, 0.38, 0.06), (0.88, 0.28, 0.07)):
        x0, x1 = int(w * (fx - tw / 2)), int(w * (fx + tw / 2))
        cv2.rectangle(img, (x0, int(h * top)), (x1, base), stone, -1)
        cv2.fillPoly(img, [np.array([[x0 - 4, int(h * top)], [x1 + 4, int(h * top)],
                                     [(x0 + x1) // 2, int(h * (top - 0.1))]], np.int32)], (26, 22, 28), AA)
        for wy in np.arange(top + 0.05, 0.66, 0.07):
            cv2.rectangle(img, ((x0 + x1) // 2 - 2, int(h * wy)), ((x0 + x1) // 2 + 2, int(h * (wy + 0.025))), (255, 176, 80), -1)
    step = max(6, w // 60)
    for x in range(int(w * 0.05), int(w * 0.95), step * 2):
        cv2.rectangle(img, (x, int(h * 0.5)), (x + step, int(h * 0.52)), stone, -1)
    img[base:] = gradient(w, h - base, [(0, (70, 52, 44)), (1, (34, 26, 24))])
    return Painting(img, bands=[_band(w, h, 0.02, 0.3, _clouds((70, 68, 84), 6, 3, 0.6, 200), 8)],
                    particles=[ParticleSpec("ember", 70, (255, 150, 50), (6, -45), (1, 2.6), (0.2, 1.0), sway=12),
                               ParticleSpec("ash", 30, (90, 86, 90), (10, 25), (1, 1.6))])


def paint_ice_palace(w, h):
    img = gradient(w, h, [(0, (30, 70, 140)), (0.55, (140, 200, 240)), (1, (225, 245, 255))])
    rng = np.random.default_rng(2)
    for i in range(11):  # ice spires, back to front, lighter in front
        cx = w * (i + 0.5) / 11 + rng.normal(0, w * 0.02)
        top = h * rng.uniform(0.12, 0.45)
        half = w * rng.uniform(0.025, 0.05)
        col = (160 + i * 6, 210 + i * 3, 245)
        pts = np.array([[cx - half, h * 0.8], [cx - half, top + half * 2], [cx, top], [cx + half, top + half * 2],
                        [cx + half, h * 0.8]], np.int32)
        cv2.fillPoly(img, [pts], col, AA)
        cv2.polylines(img, [pts], False, (240, 252, 255), 2, AA)
        cv2.line(img, (int(cx - half * 0.3), int(top + half * 3)), (int(cx - half * 0.3), int(h * 0.78)), (250, 255, 255), 2, AA)
    img[int(h * 0.8):] = gradient(w, h - int(h * 0.8), [(0, (200, 230, 250)), (1, (150, 190, 225))])
    return Painting(img, particles=[ParticleSpec("snow", 110, (255, 255, 255), (8, 45), (1, 3), sway=14),
                                    ParticleSpec("sparkle", 40, (255, 255, 255), (0, 0), (1, 2), (0.1, 0.8))])


def paint_outer_space(w, h):
    img = gradient(w, h, [(0, (4, 4, 16)), (1, (14, 8, 34))])
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    for cx, cy, sx, sy, col in ((0.25, 0.3, 0.3, 0.18, (120, 40, 150)), (0.7, 0.65, 0.25, 0.2, (30, 80, 160))):
        blob = np.exp(-(((xs - cx * w) / (sx * w)) ** 2 + ((ys - cy * h) / (sy * h)) ** 2))
        img = np.clip(img + blob[..., None] * np.array(col) * 0.8, 0, 255).astype(np.uint8)
    rng = np.random.default_rng(4)
    for _ in range(int(w * h / 900)):  # faint fixed star field; bright ones twinkle as particles
        v = int(rng.uniform(60, 160))
        img[int(rng.uniform(0, h)), int(rng.uniform(0, w))] = (v, v, v)
    # A ringed planet.
    px, py, pr = w * 0.82, h * 0.22, h * 0.09
    ring = ((int(px), int(py)), (int(pr * 1.9), int(pr * 0.45)), -12)
    cv2.ellipse(img, *ring, 180, 360, (200, 170, 140), 3, AA)  # the ring's far half, behind the planet
    glow_disc(img, px, py, pr, (230, 160, 90), glow=1.0, strength=0.25)
    cv2.ellipse(img, (int(px), int(py + pr * 0.2)), (int(pr * 0.8), int(pr * 0.25)), -12, 0, 360, (200, 120, 70), -1, AA)
    cv2.ellipse(img, *ring, 0, 180, (240, 210, 170), 3, AA)
    cv2.circle(img, (int(w * 0.12), int(h * 0.85)), int(h * 0.05), (150, 150, 160), -1, AA)
    return Painting(img, particles=[ParticleSpec("star", 160, (255, 255, 240), (0, 0), (1, 2.2)),
                                    ParticleSpec("dust", 30, (200, 200, 255), (-60, 0), (1, 1.5))])


def paint_underwater(w, h):
    img = gradient(w, h, [(0, (40, 170, 200)), (0.5, (12, 90, 140)), (1, (6, 36, 70))])
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    rays = np.clip(np.sin((xs + ys * 0.35) / w * 22) * 0.5 + 0.2, 0, 1) * np.clip(1 - ys / (h * 0.8), 0, 1)
    img = np.clip(img + rays[..., None] * np.array([60, 90, 80]), 0, 255).astype(np.uint8)
    cv2.fillPoly(img, [ridge(w, h, 0.9, 0.05, 7)], (120, 110, 80), AA)
    rng = np.random.default_rng(5)
    for _ in range(14):  # seaweed
        x = rng.uniform(0, w)
        pts = [(x + math.sin(i * 0.7 + x) * 10, h - i * h * 0.03) for i in range(int(rng.uniform(6, 14)))]
        cv2.polylines(img, [np.array(pts, np.int32)], False, (30, 120, 60), max(3, w // 120), AA)
    for cx in (0.1, 0.85):  # coral
        cv2.ellipse(img, (int(w * cx), int(h * 0.95)), (int(w * 0.07), int(h * 0.08)), 0, 180, 360, (240, 110, 110), -1, AA)
    return Painting(img, particles=[ParticleSpec("bubble", 40, (210, 240, 255), (0, -50), (2, 7), sway=10),
                                    ParticleSpec("dust", 40, (150, 210, 220), (12, -4), (1, 1.4))])


def paint_jungle(w, h):
    img = gradient(w, h, [(0, (150, 200, 120)), (0.5, (40, 110, 50)), (1, (14, 50, 20))])
    rng = np.random.default_rng(6)
    for layer, col in enumerate(((40, 100, 40), (26, 78, 30), (16, 56, 20))):
        for _ in range(10):
            cx, cy = rng.uniform(0, w), rng.uniform(0.2, 1.0) * h
            for k in range(6):
                a = rng.uniform(0, math.pi * 2)
                length = h * rng.uniform(0.1, 0.22) * (1 + layer * 0.3)
                tip = (cx + math.cos(a) * length, cy + math.sin(a) * length)
                side = (math.sin(a) * length * 0.25, -math.cos(a) * length * 0.25)
                mid = ((cx + tip[0]) / 2, (cy + tip[1]) / 2)
                pts = np.array([[cx, cy], [mid[0] + side[0], mid[1] + side[1]], tip,
                                [mid[0] - side[0], mid[1] - side[1]]], np.int32)
                cv2.fillPoly(img, [pts], col, AA)
    for fx in (0.06, 0.93):  # tree trunks with vines
        cv2.rectangle(img, (int(w * fx - w * 0.03), 0), (int(w * fx + w * 0.03), h), (60, 44, 26), -1)
    for _ in range(6):
        x = rng.uniform(0, w)
        pts = [(x + math.sin(i * 0.5) * 8, i * h * 0.04) for i in range(int(rng.uniform(5, 12)))]
        cv2.polylines(img, [np.array(pts, np.int32)], False, (50, 120, 40), 3, AA)
    return Painting(img, particles=[ParticleSpec("firefly", 30, (230, 255, 120), (4, -3), (1.5, 3), sway=30),
                                    ParticleSpec("rain", 0, (200, 220, 200))])


def paint_cyberpunk(w, h):
    img = gradient(w, h, [(0, (12, 6, 30)), (0.6, (60, 20, 80)), (1, (20, 10, 30))])
    rng = np.random.default_rng(8)
    signs: list[tuple[tuple[int, int, int, int], tuple[int, int, int], float]] = []
    for layer, (col, top_lo) in enumerate((((30, 22, 54), 0.15), ((18, 12, 34), 0.3))):
        x = -rng.uniform(0, w * 0.05)
        while x < w:
            bw = w * rng.uniform(0.07, 0.15)
            top = h * rng.uniform(top_lo, top_lo + 0.3)
            cv2.rectangle(img, (int(x), int(top)), (int(x + bw), h), col, -1)
            for wy in np.arange(top + 8, h, max(8, h // 40)):  # lit windows
                for wx in np.arange(x + 4, x + bw - 4, max(7, w // 70)):
                    if rng.random() < 0.3:
                        wcol = (255, 220, 140) if rng.random() < 0.7 else (120, 220, 255)
                        cv2.rectangle(img, (int(wx), int(wy)), (int(wx + 3), int(wy + 4)), shade(wcol, 0.5 + layer * 0.3), -1)
            if layer == 1 and rng.random() < 0.6:
                sx, sy = int(x + bw * 0.15), int(top + h * 0.05)
                signs.append(((sx, sy, int(bw * 0.7), int(h * 0.05)),
                              [(255, 40, 200), (40, 240, 255), (255, 220, 40), (120, 255, 90)][len(signs) % 4],
                              rng.uniform(0, 6)))
            x += bw + rng.uniform(0, w * 0.02)
    cv2.rectangle(img, (0, int(h * 0.92)), (w, h), (10, 6, 16), -1)

    def neon(image: np.ndarray, t: float) -> None:
        for (sx, sy, sw, sh), col, phase in signs:
            # Mostly on, with the odd stutter of a failing tube.
            on = 0.35 if math.sin(t * 7 + phase) > 0.93 or math.sin(t * 1.3 + phase * 2) > 0.985 else 1.0
            c = shade(col, on)
            cv2.rectangle(image, (sx - 2, sy - 2), (sx + sw + 2, sy + sh + 2), shade(col, 0.35 * on), 2, AA)
            cv2.rectangle(image, (sx, sy), (sx + sw, sy + sh), c, 2, AA)
            cv2.line(image, (sx + 4, sy + sh // 2), (sx + sw - 4, sy + sh // 2), c, 2, AA)
    return Painting(img, animations=[neon],
                    particles=[ParticleSpec("rain", 90, (150, 160, 210), (-60, 700), (1, 1))])


def paint_desert(w, h):
    img = gradient(w, h, [(0, (250, 170, 90)), (0.45, (255, 214, 150)), (0.6, (240, 190, 120)), (1, (200, 140, 80))])
    glow_disc(img, w * 0.7, h * 0.25, h * 0.08, (255, 245, 200), glow=3, strength=0.6)
    for i, (base, amp, col) in enumerate(((0.58, 0.06, (226, 160, 96)), (0.7, 0.08, (214, 146, 84)), (0.84, 0.07, (196, 128, 70)))):
        cv2.fillPoly(img, [ridge(w, h, base, amp, 20 + i, roughness=3)], col, AA)
    # A saguaro cactus.
    cx, cy = int(w * 0.12), int(h * 0.8)
    g = (60, 120, 60)
    cv2.line(img, (cx, cy), (cx, int(h * 0.45)), g, max(8, w // 50), AA)
    cv2.ellipse(img, (cx - w // 30, int(h * 0.6)), (w // 30, h // 12), 0, 90, 180, g, max(6, w // 70), AA)
    cv2.ellipse(img, (cx + w // 30, int(h * 0.55)), (w // 30, h // 12), 0, 0, 90, g, max(6, w // 70), AA)
    return Painting(img, particles=[ParticleSpec("dust", 80, (240, 210, 160), (90, 6), (1, 2), (0.4, 1.0), sway=6)])


def paint_beach(w, h):
    img = gradient(w, h, [(0, (70, 160, 235)), (0.5, (180, 225, 250))])
    horizon = int(h * 0.55)
    glow_disc(img, w * 0.2, h * 0.18, h * 0.07, (255, 250, 210), glow=3, strength=0.6)
    img[horizon:int(h * 0.75)] = gradient(w, int(h * 0.75) - horizon, [(0, (30, 110, 170)), (1, (60, 180, 200))])
    img[int(h * 0.75):] = gradient(w, h - int(h * 0.75), [(0, (236, 214, 160)), (1, (220, 190, 130))])
    # A palm tree.
    x0, y0 = int(w * 0.9), int(h * 0.95)
    trunk = np.array([[x0, y0], [x0 - w * 0.04, h * 0.6], [x0 - w * 0.08, h * 0.3]], np.int32)
    cv2.polylines(img, [trunk], False, (120, 84, 50), max(6, w // 60), AA)
    top = trunk[-1]
    for a in (-160, -120, -60, -20, 20, 160):
        r = math.radians(a)
        tip = (int(top[0] + math.cos(r) * w * 0.14), int(top[1] + math.sin(r) * h * 0.12 + h * 0.05))
        cv2.line(img, tuple(int(v) for v in top), tip, (40, 130, 50), max(5, w // 80), AA)

    def waves(rgb, alpha):
        bh, bw = alpha.shape
        rgb[:] = (240, 250, 255)
        for row in range(0, bh, max(3, bh // 6)):
            xs = np.arange(bw)
            ys = (row + 2 * np.sin(xs / bw * 2 * math.pi * 12)).astype(np.int32)
            ok = (ys >= 0) & (ys < bh) & ((xs // 14) % 3 != 0)
            alpha[ys[ok], xs[ok]] = 150
    return Painting(img, bands=[_band(w, h, 0.56, 0.75, waves, 14),
                                _band(w, h, 0.05, 0.35, _clouds((255, 255, 255), 5, 9, 0.5, 220), 6)],
                    particles=[ParticleSpec("sparkle", 40, (255, 255, 255), (0, 0), (1, 2), (0.56, 0.74))])


def paint_volcano(w, h):
    img = gradient(w, h, [(0, (30, 10, 10)), (0.5, (110, 30, 16)), (1, (40, 14, 10))])
    glow_disc(img, w * 0.5, h * 0.32, h * 0.05, (255, 120, 40), glow=6, strength=0.5)
    cone = np.array([[w * 0.1, h], [w * 0.42, h * 0.32], [w * 0.58, h * 0.32], [w * 0.9, h]], np.int32)
    cv2.fillPoly(img, [cone], (40, 24, 22), AA)
    lava_paths = []
    rng = np.random.default_rng(12)
    for _ in range(3):
        x = w * rng.uniform(0.46, 0.54)
        pts = [(x, h * 0.33)]
        for i in range(10):
            x += rng.normal(0, w * 0.015) + (x - w / 2) * 0.08
            pts.append((x, h * (0.33 + 0.07 * (i + 1))))
        lava_paths.append(np.array(pts, np.int32))
    cv2.fillPoly(img, [ridge(w, h, 0.88, 0.05, 13)], (26, 14, 12), AA)

    def lava(image: np.ndarray, t: float) -> None:
        pulse = 0.75 + 0.25 * math.sin(t * 2.0)
        for path in lava_paths:
            cv2.polylines(image, [path], False, shade((255, 90, 20), pulse), max(3, w // 120), AA)
            cv2.polylines(image, [path], False, shade((255, 210, 80), pulse), 1, AA)
    return Painting(img, animations=[lava],
                    bands=[_band(w, h, 0.0, 0.3, _clouds((60, 50, 50), 6, 14, 0.6, 220), -10)],
                    particles=[ParticleSpec("ember", 90, (255, 140, 40), (4, -70), (1, 2.6), (0.25, 1.0), sway=16),
                               ParticleSpec("ash", 40, (110, 100, 100), (12, 30), (1, 2))])


def paint_haunted_house(w, h):
    img = gradient(w, h, [(0, (14, 14, 34)), (0.6, (46, 40, 80)), (1, (20, 20, 30))])
    glow_disc(img, w * 0.78, h * 0.2, h * 0.08, (240, 236, 200), glow=3, strength=0.4)
    sil = (12, 10, 18)
    # The house: body, roofs, a tower; yellow windows.
    cv2.rectangle(img, (int(w * 0.55), int(h * 0.42)), (int(w * 0.92), int(h * 0.85)), sil, -1)
    cv2.fillPoly(img, [np.array([[w * 0.52, h * 0.43], [w * 0.735, h * 0.26], [w * 0.95, h * 0.43]], np.int32)], sil, AA)
    cv2.rectangle(img, (int(w * 0.58), int(h * 0.2)), (int(w * 0.66), int(h * 0.45)), sil, -1)
    cv2.fillPoly(img, [np.array([[w * 0.57, h * 0.2], [w * 0.62, h * 0.08], [w * 0.67, h * 0.2]], np.int32)], sil, AA)
    for wx, wy in ((0.6, 0.5), (0.7, 0.5), (0.8, 0.5), (0.6, 0.65), (0.8, 0.65), (0.615, 0.28)):
        cv2.rectangle(img, (int(w * wx), int(h * wy)), (int(w * (wx + 0.035)), int(h * (wy + 0.07))), (220, 190, 80), -1)
    # A bare tree on the left.
    def branch(x, y, angle, length, depth):
        if depth == 0:
            return
        x2, y2 = x + math.cos(angle) * length, y - math.sin(angle) * length
        cv2.line(img, (int(x), int(y)), (int(x2), int(y2)), sil, max(1, depth * 2), AA)
        branch(x2, y2, angle + 0.45, length * 0.72, depth - 1)
        branch(x2, y2, angle - 0.35, length * 0.7, depth - 1)
    branch(w * 0.15, h, math.pi / 2, h * 0.25, 6)
    img[int(h * 0.85):] = sil
    fog = _band(w, h, 0.7, 1.0, _clouds((150, 150, 170), 8, 15, 0.7, 150), 12)
    return Painting(img, bands=[fog], particles=[ParticleSpec("bat", 7, (8, 8, 12), (45, 0), (4, 7), (0.05, 0.45), sway=20)])


def paint_candy_land(w, h):
    img = gradient(w, h, [(0, (255, 200, 230)), (0.6, (255, 235, 245)), (1, (200, 240, 255))])
    for i, (base, col) in enumerate(((0.7, (255, 170, 210)), (0.8, (170, 230, 200)), (0.9, (250, 220, 160)))):
        cv2.fillPoly(img, [ridge(w, h, base, 0.05, 30 + i, roughness=2)], col, AA)
    rng = np.random.default_rng(16)
    for i in range(5):  # lollipops
        x, y = w * (0.1 + 0.2 * i + rng.uniform(-0.04, 0.04)), h * rng.uniform(0.3, 0.5)
        r = h * rng.uniform(0.05, 0.08)
        cv2.line(img, (int(x), int(y)), (int(x), int(h * 0.9)), (250, 250, 250), max(3, w // 120), AA)
        col = [(255, 90, 160), (120, 200, 255), (255, 200, 60), (140, 230, 140), (200, 140, 255)][i]
        cv2.circle(img, (int(x), int(y)), int(r), col, -1, AA)
        for k in range(3):
            cv2.ellipse(img, (int(x), int(y)), (int(r * (0.3 + 0.22 * k)),) * 2, 0, k * 60, k * 60 + 250, (255, 255, 255), 2, AA)
    for fx in (0.04, 0.96):  # candy canes
        x = int(w * fx)
        cv2.line(img, (x, int(h * 0.25)), (x, h), (255, 255, 255), max(8, w // 50), AA)
        for y in range(int(h * 0.25), h, max(10, h // 24)):
            cv2.line(img, (x - w // 100, y), (x + w // 100, y + h // 60), (230, 40, 60), max(3, w // 140), AA)
    return Painting(img, bands=[_band(w, h, 0.02, 0.25, _clouds((255, 255, 255), 5, 17, 0.5, 230), 10)],
                    particles=[ParticleSpec("sprinkle", 60, (255, 255, 255), (0, 40), (1.5, 2.5), sway=10)])


def paint_snowy_forest(w, h):
    img = gradient(w, h, [(0, (20, 34, 70)), (0.6, (70, 100, 150)), (1, (200, 220, 240))])
    glow_disc(img, w * 0.2, h * 0.16, h * 0.05, (240, 244, 255), glow=3, strength=0.35)
    rng = np.random.default_rng(18)
    for layer, col in enumerate(((70, 96, 120), (40, 62, 80), (20, 40, 50))):
        ground = h * (0.62 + layer * 0.1)
        for _ in range(9 - layer * 2):
            x = rng.uniform(0, w)
            th = h * rng.uniform(0.25, 0.4) * (1 + layer * 0.3)
            tw = th * 0.4
            for k in range(3):  # three stacked tiers, with a snow cap each
                top = ground - th + k * th * 0.25
                pts = np.array([[x, top], [x - tw * (0.5 + k * 0.25) / 1.5, top + th * 0.4],
                                [x + tw * (0.5 + k * 0.25) / 1.5, top + th * 0.4]], np.int32)
                cv2.fillPoly(img, [pts], col, AA)
                cv2.fillPoly(img, [np.array([[x, top], [x - tw * 0.12, top + th * 0.08], [x + tw * 0.12, top + th * 0.08]], np.int32)],
                             (235, 242, 250), AA)
        cv2.fillPoly(img, [ridge(w, h, (ground + h * 0.04) / h, 0.015, 40 + layer, roughness=2)],
                     shade((230, 238, 250), 0.92 + layer * 0.04), AA)
    return Painting(img, particles=[ParticleSpec("snow", 140, (255, 255, 255), (10, 50), (1, 3.2), sway=16)])


def paint_default(w, h, theme_id):
    digest = hashlib.sha1(theme_id.encode()).digest()
    top = tuple(int(b) for b in digest[:3])
    bottom = tuple(int(b) // 3 for b in digest[3:6])
    return Painting(gradient(w, h, [(0, top), (1, bottom)]))


PAINTERS: dict[str, Callable[[int, int], Painting]] = {
    "game_of_thrones": paint_game_of_thrones,
    "ice_palace": paint_ice_palace,
    "outer_space": paint_outer_space,
    "underwater": paint_underwater,
    "jungle": paint_jungle,
    "cyberpunk": paint_cyberpunk,
    "desert": paint_desert,
    "beach": paint_beach,
    "volcano": paint_volcano,
    "haunted_house": paint_haunted_house,
    "candy_land": paint_candy_land,
    "snowy_forest": paint_snowy_forest,
}


class Backdrop:
    """One theme's backdrop at one frame size; `render(t)` → RGB uint8 (h, w, 3) (a reused buffer)."""

    def __init__(self, theme_id: str, width: int, height: int) -> None:
        self.theme_id = theme_id
        painter = PAINTERS.get(theme_id)
        painting = painter(width, height) if painter else paint_default(width, height, theme_id)
        self._static = np.ascontiguousarray(painting.static)
        self._bands = painting.bands
        self._band_alpha = [b.rgba[..., 3].astype(np.float32) / 255.0 for b in self._bands]
        self._band_rgb = [np.ascontiguousarray(b.rgba[..., :3]) for b in self._bands]
        self._animations = painting.animations
        seed = int.from_bytes(hashlib.sha1(theme_id.encode()).digest()[:4], "little")
        self._particles = [Particles(spec, width, height, seed + i) for i, spec in enumerate(painting.particles)
                           if spec.count > 0]
        self._out = np.empty_like(self._static)
        self.width, self.height = width, height

    def render(self, t: float) -> np.ndarray:
        out = self._out
        np.copyto(out, self._static)
        w = self.width
        for band, a, rgb in zip(self._bands, self._band_alpha, self._band_rgb):
            off = int(band.speed * t) % w
            bh = band.rgba.shape[0]
            rows = out[band.y0:band.y0 + bh]
            n = rows.shape[0]
            aa = np.ascontiguousarray(a[:n, off:off + w])
            rows[:] = cv2.blendLinear(np.ascontiguousarray(rgb[:n, off:off + w]), rows, aa, 1.0 - aa)
        for animate in self._animations:
            animate(out, t)
        for particles in self._particles:
            particles.draw(out, t)
        return out
