"""Prop artwork: SVG → cached RGBA sprites → placed on the frame (rotated about the pivot).

Each SVG in art/props/ is named by its asset id and declares on its root element:
  data-pivot="u v"          the point attached to the body, as fractions of the viewBox (u → right, v → down)
  data-default-color="#rrggbb"   the colour used when the scene names none
Recolourable regions are painted #ff00ff (the colour) and #b000b0 (a darker shade of it); every
other colour is fixed art. "Up" of the artwork is the SVG's up.

The object library's art ("objects/<id>" assets) is one JSON file of SVG bodies on a 32×32 view
box (art/objects.json, Fluent Emoji, MIT: art/NOTICE.md), read once. It is drawn as it is, or with
its main colour turned to the one asked for (tint.py); its pivot comes with each placement.
"""
from __future__ import annotations

import json
import logging
import math
import re
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np

from mirror.render.composite.tint import tint

log = logging.getLogger(__name__)

ART_DIR = Path(__file__).parent / "art" / "props"
OBJECTS_ART = Path(__file__).parent / "art" / "objects.json"
OBJECTS_PREFIX = "objects/"  # world.objects.ASSET_PREFIX
COLOR_PLACEHOLDER = "#ff00ff"
SHADE_PLACEHOLDER = "#b000b0"
SHADE = 0.65  # the shade region is this fraction of the colour: reads as the same hue, in shadow


@dataclass(frozen=True)
class PropArt:
    asset: str
    svg: str
    width: float  # viewBox size
    height: float
    pivot: tuple[float, float]  # (u, v) fractions of the viewBox
    default_color: tuple[int, int, int] | None  # None: drawn in its own colours unless one is asked
    tinted: bool = False  # recoloured by a hue shift (library art), not by placeholder regions


def _hex_rgb(text: str) -> tuple[int, int, int]:
    text = text.lstrip("#")
    return int(text[0:2], 16), int(text[2:4], 16), int(text[4:6], 16)


def _rgb_hex(rgb: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*(max(0, min(255, int(c))) for c in rgb))


def available_assets() -> list[str]:
    return sorted(p.stem for p in ART_DIR.glob("*.svg"))


@lru_cache(maxsize=1)
def _object_art() -> dict:
    """The library's SVG bodies by id (~1 MB), read on the first library object drawn."""
    return json.loads(OBJECTS_ART.read_text(encoding="utf-8"))


# Bounded: parsed art is small, but a long session may meet hundreds of library objects.
@lru_cache(maxsize=256)
def load_art(asset: str) -> PropArt:
    if asset.startswith(OBJECTS_PREFIX):
        return _library_art(asset)
    path = ART_DIR / f"{asset}.svg"
    if not path.exists():
        raise KeyError(f"no artwork for prop asset {asset!r} (looked for {path})")
    svg = path.read_text()
    root = re.search(r"<svg\b[^>]*>", svg, re.S).group(0)
    view_box = [float(v) for v in re.search(r'viewBox="([^"]+)"', root).group(1).split()]
    pivot_match = re.search(r'data-pivot="([^"]+)"', root)
    pivot = tuple(float(v) for v in pivot_match.group(1).split()) if pivot_match else (0.5, 0.5)
    color_match = re.search(r'data-default-color="([^"]+)"', root)
    default = _hex_rgb(color_match.group(1)) if color_match else (200, 200, 200)
    return PropArt(asset, svg, view_box[2], view_box[3], pivot, default)  # type: ignore[arg-type]


def _library_art(asset: str) -> PropArt:
    art = _object_art()
    thing = asset[len(OBJECTS_PREFIX):]
    body = art["bodies"].get(thing)
    if body is None:
        raise KeyError(f"no artwork for library object {thing!r} in {OBJECTS_ART}")
    x, y, w, h = art["view_box"]
    h = art["heights"].get(thing, h)
    svg = f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="{x} {y} {w} {h}">{body}</svg>'
    return PropArt(asset, svg, float(w), float(h), (0.5, 0.5), None, tinted=True)


def recolored_svg(art: PropArt, color: tuple[int, int, int]) -> str:
    shade = tuple(int(c * SHADE) for c in color)
    return art.svg.replace(COLOR_PLACEHOLDER, _rgb_hex(color)).replace(SHADE_PLACEHOLDER, _rgb_hex(shade))


def rasterize(art: PropArt, color: tuple[int, int, int] | None, height_px: int) -> np.ndarray:
    """The artwork `height_px` tall as premultiplied RGBA uint8 (h, w, 4), in `color` (None: as drawn)."""
    import resvg_py

    svg = art.svg if art.tinted or color is None else recolored_svg(art, color)
    png = resvg_py.svg_to_bytes(svg_string=svg, height=int(height_px), skip_system_fonts=True)
    bgra = cv2.imdecode(np.frombuffer(bytes(png), np.uint8), cv2.IMREAD_UNCHANGED)  # straight alpha
    rgba = cv2.cvtColor(bgra, cv2.COLOR_BGRA2RGBA)
    if art.tinted and color is not None:
        rgba = tint(rgba, color)
    alpha = rgba[..., 3:4].astype(np.uint16)
    rgba[..., :3] = (rgba[..., :3].astype(np.uint16) * alpha // 255).astype(np.uint8)
    return rgba


def size_bucket(height_px: float) -> int:
    """Raster heights come in ~12 % steps: a prop that grows smoothly re-rasterises a few times,
    not every frame, and the per-frame warp rescales by at most ±6 % (no visible softening)."""
    h = max(8.0, min(2048.0, height_px))
    return int(round(8 * 1.12 ** round(math.log(h / 8, 1.12))))


class SpriteCache:
    """LRU of rasterised sprites keyed by (asset, colour, size bucket), bounded both in sprites and
    in bytes: a thing drawn large behind the person is a ~1 MB sprite."""

    def __init__(self, capacity: int = 96, max_bytes: int = 32 << 20) -> None:
        self._capacity = capacity
        self._max_bytes = max_bytes
        self._items: OrderedDict[tuple, np.ndarray] = OrderedDict()
        self.bytes = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._items)

    def get(self, asset: str, color: tuple[int, int, int] | None, height_px: float) -> tuple[np.ndarray, PropArt]:
        art = load_art(asset)
        rgb = tuple(color) if color is not None else art.default_color
        key = (asset, rgb, size_bucket(height_px))
        sprite = self._items.get(key)
        if sprite is None:
            self.misses += 1
            sprite = rasterize(art, rgb, key[2])
            self._items[key] = sprite
            self.bytes += sprite.nbytes
            while len(self._items) > 1 and (len(self._items) > self._capacity or self.bytes > self._max_bytes):
                self.bytes -= self._items.popitem(last=False)[1].nbytes
        else:
            self._items.move_to_end(key)
        return sprite, art


def draw_sprite(canvas: np.ndarray, sprite: np.ndarray, art: PropArt, x: float, y: float,
                angle_deg: float, height_px: float, opacity: float = 1.0, coverage: np.ndarray | None = None,
                pivot: tuple[float, float] | None = None) -> None:
    """Alpha-blend `sprite` (premultiplied RGBA) into `canvas` (RGB uint8, in place) with its pivot
    at (x, y), rotated `angle_deg` clockwise, `height_px` tall. Only the covered box is touched.
    coverage: a uint8 (H, W) plane that keeps the most opaque alpha drawn at each pixel.
    pivot: (u, v) fractions of the art held at (x, y), instead of the art's own."""
    sh, sw = sprite.shape[:2]
    scale = height_px / sh
    u, v = pivot or art.pivot
    pu, pv = u * sw, v * sh
    a = math.radians(angle_deg)  # clockwise on screen (y down) = the usual rotation matrix
    c, s = math.cos(a) * scale, math.sin(a) * scale
    # sprite (u, v) → canvas: R·S·((u, v) − pivot) + (x, y)
    m = np.array([[c, -s, x - (c * pu - s * pv)], [s, c, y - (s * pu + c * pv)]], np.float64)
    corners = np.array([[0, 0, 1], [sw, 0, 1], [0, sh, 1], [sw, sh, 1]], np.float64) @ m.T
    H, W = canvas.shape[:2]
    x0 = max(0, int(math.floor(corners[:, 0].min())))
    y0 = max(0, int(math.floor(corners[:, 1].min())))
    x1 = min(W, int(math.ceil(corners[:, 0].max())) + 1)
    y1 = min(H, int(math.ceil(corners[:, 1].max())) + 1)
    if x1 <= x0 or y1 <= y0:
        return
    m[:, 2] -= (x0, y0)
    warped = cv2.warpAffine(sprite, m, (x1 - x0, y1 - y0), flags=cv2.INTER_LINEAR,
                            borderMode=cv2.BORDER_CONSTANT, borderValue=(0, 0, 0, 0))
    roi = canvas[y0:y1, x0:x1]
    if opacity < 1.0:
        warped = cv2.convertScaleAbs(warped, alpha=opacity)
    # Premultiplied "over" in uint8: roi·(255 − a)/255 + sprite. Where a = 0 the roi is unchanged
    # bit for bit (255/255), so pixels outside the prop are never touched.
    keep = cv2.cvtColor(cv2.bitwise_not(warped[..., 3]), cv2.COLOR_GRAY2RGB)
    roi[:] = cv2.add(cv2.multiply(roi, keep, scale=1.0 / 255), warped[..., :3])
    if coverage is not None:
        cover = coverage[y0:y1, x0:x1]
        np.maximum(cover, warped[..., 3], out=cover)
