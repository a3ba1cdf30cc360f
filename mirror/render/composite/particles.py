"""Cheap animated particles (snow, embers, stars, bubbles, rain, …) drawn over a backdrop.

A particle's position is a pure function of time (start + velocity·t + sway, wrapped around the
frame), so there is no per-frame state: the same t draws the same picture, skipped frames cost
nothing, and a crossfade can draw two themes at once.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class ParticleSpec:
    kind: str  # snow | ember | star | bubble | rain | sprinkle | dust | firefly | bat | sparkle | ash
    count: int
    color: tuple[int, int, int] = (255, 255, 255)
    speed: tuple[float, float] = (0.0, 40.0)  # mean (vx, vy) in frame-heights per 10 s … see Particles
    size: tuple[float, float] = (1.0, 3.0)  # radius range in px at 480 px frame height
    region: tuple[float, float] = (0.0, 1.0)  # vertical band (fractions of height) they live in
    sway: float = 0.0  # horizontal wobble amplitude in px at 480 px


CANDY = np.array([(255, 90, 160), (120, 210, 255), (255, 230, 90), (150, 255, 150), (200, 140, 255)], np.float32)


class Particles:
    def __init__(self, spec: ParticleSpec, width: int, height: int, seed: int) -> None:
        rng = np.random.default_rng(seed)
        n = spec.count
        self.spec = spec
        self.w, self.h = width, height
        k = height / 480.0
        self.k = k
        depth = rng.uniform(0.4, 1.0, n)  # near particles are bigger and faster: parallax
        self.x0 = rng.uniform(0, width, n)
        y_lo, y_hi = spec.region
        self.y_lo, self.y_span = y_lo * height, max(1.0, (y_hi - y_lo) * height)
        self.y0 = rng.uniform(0, self.y_span, n)
        self.vx = (spec.speed[0] * depth + rng.normal(0, abs(spec.speed[0]) * 0.2 + 2, n)) * k
        self.vy = spec.speed[1] * depth * k * rng.uniform(0.8, 1.2, n)
        self.r = (spec.size[0] + (spec.size[1] - spec.size[0]) * depth) * k
        self.phase = rng.uniform(0, 2 * math.pi, n)
        self.freq = rng.uniform(0.5, 1.5, n)
        self.sway = spec.sway * k * depth
        self.tint = CANDY[rng.integers(0, len(CANDY), n)] if spec.kind == "sprinkle" else None

    def positions(self, t: float) -> tuple[np.ndarray, np.ndarray]:
        x = (self.x0 + self.vx * t + self.sway * np.sin(self.freq * t + self.phase)) % self.w
        y = self.y_lo + (self.y0 + self.vy * t) % self.y_span
        return x, y

    def draw(self, out: np.ndarray, t: float) -> None:
        kind = self.spec.kind
        x, y = self.positions(t)
        color = np.array(self.spec.color, np.float32)
        if kind in ("star", "sparkle"):
            twinkle = 0.55 + 0.45 * np.sin(self.freq * 3 * t + self.phase)
            xi, yi = x.astype(np.int32), y.astype(np.int32)
            values = (color[None] * twinkle[:, None]).astype(np.uint8)
            out[yi, xi] = np.maximum(out[yi, xi], values)
            big = self.r > 1.6 * self.k
            for xx, yy, v in zip(xi[big], yi[big], values[big]):
                c = tuple(int(a) for a in v)
                cv2.line(out, (xx - 2, yy), (xx + 2, yy), c, 1)
                cv2.line(out, (xx, yy - 2), (xx, yy + 2), c, 1)
            return
        if kind == "rain":
            dx, dy = self.vx * 0.03, self.vy * 0.03  # streak length = 30 ms of travel
            c = tuple(int(a) for a in color)
            for xx, yy, ddx, ddy in zip(x, y, dx, dy):
                cv2.line(out, (int(xx), int(yy)), (int(xx + ddx), int(yy + ddy)), c, 1, cv2.LINE_AA)
            return
        if kind == "bat":
            c = tuple(int(a) for a in color)
            for xx, yy, r, ph in zip(x, y, self.r, self.phase):
                flap = math.sin(t * 14 + ph) * r * 0.8
                pts = np.array([[xx - 2 * r, yy - flap], [xx - r, yy], [xx, yy + r * 0.4],
                                [xx + r, yy], [xx + 2 * r, yy - flap]], np.int32)
                cv2.polylines(out, [pts], False, c, max(1, int(r * 0.5)), cv2.LINE_AA)
            return
        if kind == "bubble":
            c = tuple(int(a) for a in color)
            for xx, yy, r in zip(x, y, self.r):
                cv2.circle(out, (int(xx), int(yy)), int(r), c, 1, cv2.LINE_AA)
                cv2.circle(out, (int(xx - r * 0.35), int(yy - r * 0.35)), max(1, int(r * 0.25)), c, -1)
            return
        if kind == "sprinkle":
            for xx, yy, r, ph, tint in zip(x, y, self.r, self.phase, self.tint):
                a = ph + t * 2
                ddx, ddy = math.cos(a) * r * 1.6, math.sin(a) * r * 1.6
                cv2.line(out, (int(xx - ddx), int(yy - ddy)), (int(xx + ddx), int(yy + ddy)),
                         tuple(int(v) for v in tint), max(2, int(r * 0.9)), cv2.LINE_AA)
            return
        # Round glowing or plain dots: snow, ember, firefly, dust, ash.
        if kind in ("ember", "firefly"):
            brightness = 0.5 + 0.5 * np.sin(self.freq * (5 if kind == "ember" else 2) * t + self.phase)
            if kind == "firefly":
                brightness = np.clip(brightness * 1.6 - 0.5, 0, 1)
        else:
            brightness = np.ones_like(x)
        for xx, yy, r, b in zip(x, y, self.r, brightness):
            if b <= 0.05:
                continue
            c = tuple(int(v) for v in color * b)
            cv2.circle(out, (int(xx), int(yy)), max(1, int(round(r))), c, -1, cv2.LINE_AA)
