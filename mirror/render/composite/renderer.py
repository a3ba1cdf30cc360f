"""CompositeRenderer: the embedded default mirror, real time on 2 CPU cores.

Per frame:  backdrop (theme, crossfading on change) → props behind the person → the person, cut
out with the feathered matte → props in front → the style filter (unless another stage of the run
paints that style instead: `StageContext.provided`). With no theme and no prop behind, the camera background stays and
nothing is cut out.
"""
from __future__ import annotations

import logging
import time
from collections import OrderedDict
from typing import TYPE_CHECKING, Callable, ClassVar

import cv2
import numpy as np

from mirror.render.composite.backdrops import Backdrop
from mirror.render.composite.cutout import PersonCutout
from mirror.render.composite.filters import FilterBank
from mirror.render.composite.placements import PlacementTracker
from mirror.render.composite.props import SpriteCache, draw_sprite
from mirror.render.stage import NEURAL_STYLE, PROMPT_STYLE, PROPS_ALPHA, Needs, StageBase, StageContext

if TYPE_CHECKING:
    from pose import Pose
    from world import Catalog, Scene
    from world.layout import Placement

log = logging.getLogger(__name__)

CROSSFADE_S = 0.5  # theme changes blend over this long: a cut feels like a glitch, longer feels slow


class CompositeRenderer(StageBase):
    name: ClassVar[str] = "composite"
    needs: ClassVar[Needs] = Needs(pose=True, matte=True, planes=True)

    def __init__(self, catalog: "Catalog", *, provided: frozenset[str] = frozenset(),
                 clock: Callable[[], float] = time.monotonic, smoothing: bool = True) -> None:
        """provided: what the other stages of the run paint (NEURAL_STYLE, PROMPT_STYLE): those
        styles are left to them. clock: seconds, monotonic; animations, crossfades and smoothing
        run on it (tests pass a fake one). smoothing=False places props exactly where layout says
        (stills, tests)."""
        self.catalog = catalog
        self.provided = provided
        self._clock = clock
        self._t0 = clock()
        self._backdrops: OrderedDict[tuple[str, int, int], Backdrop] = OrderedDict()
        self._sprites = SpriteCache()
        self._tracker = PlacementTracker(smoothing=smoothing)
        self._cutout = PersonCutout()
        self._filters = FilterBank()
        self._theme: str | None = None
        self._previous_theme: str | None = None
        self._fade_start = -1e9
        self._first_frame = True
        self._bg: np.ndarray | None = None  # reused background buffer
        # The placements drawn on the last frame (after smoothing), for tests and debugging.
        self.last_placements: list[Placement] = []
        self._timings: dict[str, float] = {}  # seconds per step, last frame

    @classmethod
    def open(cls, context: StageContext) -> "CompositeRenderer":
        return cls(context.catalog, provided=context.provided)

    def timings(self) -> dict[str, float]:
        return self._timings

    # ------------------------------------------------------------------ the frame
    def render(self, image: np.ndarray, pose: "Pose | None", scene: "Scene",
               planes: dict[str, np.ndarray] | None = None) -> np.ndarray:
        """planes: where the props' coverage is left (PROPS_ALPHA) when a later stage repaints."""
        now = self._clock()
        t = now - self._t0
        h, w = image.shape[:2]
        timings = self._timings
        timings.clear()
        t_start = time.perf_counter()

        placements = self._place(pose, scene, w, h, now)
        behind = [p for p in placements if p.layer == "behind"]
        front = [p for p in placements if p.layer != "behind"]
        t_layout = time.perf_counter()
        timings["layout"] = t_layout - t_start

        background = self._background(scene.theme, image, t, now)
        t_backdrop = time.perf_counter()
        timings["backdrop"] = t_backdrop - t_layout

        filter_id = self._filter_for(scene)
        strength = scene.style_strength
        person = image
        if filter_id is not None and not self._filters.whole_frame(filter_id):
            person = self._filters.apply(filter_id, image, t, strength)
        t_person_style = time.perf_counter()
        timings["style"] = t_person_style - t_backdrop

        # Where props are, for a later stage that repaints (props keep their colours under a style).
        coverage = None
        if placements and planes is not None and self.provided & {NEURAL_STYLE, PROMPT_STYLE}:
            coverage = planes[PROPS_ALPHA] = np.zeros((h, w), np.uint8)
        matte = pose.matte if pose is not None else None
        if matte is not None and matte.shape != (h, w):
            matte = None
        if (background is not None or behind) and matte is not None:
            if background is None:
                background = self._buffer(image)
                np.copyto(background, image)
            for p in behind:
                self._draw(background, p, coverage)
            alpha, inverse = self._cutout.update(matte, now)
            out = cv2.blendLinear(person, background, alpha, inverse)
            if coverage is not None and behind:
                _behind_the_person(coverage, inverse)
        else:
            # No cut-out possible or needed: the backdrop alone when there is no matte to cut with
            # would hide the person, so the camera frame stays.
            out = person.copy() if person is image else person
            for p in behind:
                self._draw(out, p, coverage)
        t_person = time.perf_counter()
        timings["person"] = t_person - t_person_style

        for p in front:
            self._draw(out, p, coverage)
        t_props = time.perf_counter()
        timings["props"] = t_props - t_person

        if filter_id is not None and self._filters.whole_frame(filter_id):
            out = self._filters.apply(filter_id, out, t, strength)
        timings["style"] += time.perf_counter() - t_props
        return out

    def close(self) -> None:
        self._backdrops.clear()

    # ------------------------------------------------------------------ steps
    def _place(self, pose: "Pose | None", scene: "Scene", w: int, h: int, now: float) -> list[Placement]:
        props = scene.props
        self._tracker.forget(len(props))
        raw = []
        if props and pose is not None and pose.found:
            from world import layout

            raw = layout(scene, self.catalog, pose.landmarks, w, h)
        placements = self._tracker.update(raw, now)
        self.last_placements = placements
        return placements

    def _backdrop(self, theme: str, w: int, h: int) -> Backdrop:
        key = (theme, w, h)
        backdrop = self._backdrops.get(key)
        if backdrop is None:
            backdrop = self._backdrops[key] = Backdrop(theme, w, h)
            if len(self._backdrops) > 4:  # the current and previous theme, at most two sizes
                self._backdrops.popitem(last=False)
        else:
            self._backdrops.move_to_end(key)
        return backdrop

    def _background(self, theme: str | None, image: np.ndarray, t: float, now: float) -> np.ndarray | None:
        """The picture behind the person: the theme's backdrop, mid-crossfade a blend of the old
        and new one (no theme = the camera's own background); None when the camera stays as is."""
        if theme != self._theme:
            if not self._first_frame:
                self._previous_theme, self._fade_start = self._theme, now
            self._theme = theme
        self._first_frame = False
        h, w = image.shape[:2]
        fade = (now - self._fade_start) / CROSSFADE_S
        current = self._backdrop(self._backdrop_id(theme), w, h).render(t) if theme is not None else None
        if fade >= 1.0 or fade < 0:
            return current
        previous = (self._backdrop(self._backdrop_id(self._previous_theme), w, h).render(t)
                    if self._previous_theme is not None else None)
        if current is None and previous is None:
            return None
        new = current if current is not None else image
        old = previous if previous is not None else image
        return cv2.addWeighted(new, float(fade), old, float(1.0 - fade), 0)

    def _backdrop_id(self, theme: str) -> str:
        entry = self.catalog.themes.get(theme) if self.catalog is not None else None
        return entry.backdrop if entry is not None else theme

    def _draw(self, canvas: np.ndarray, p: Placement, coverage: np.ndarray | None = None) -> None:
        sprite, art = self._sprites.get(p.asset, p.color_rgb, p.height_px)
        draw_sprite(canvas, sprite, art, p.x, p.y, p.angle_deg, p.height_px, p.opacity, coverage, p.pivot)

    def _filter_for(self, scene: "Scene") -> str | None:
        style_id = scene.style
        if not style_id:
            return None
        style = self.catalog.styles.get(style_id) if self.catalog is not None else None
        if style is None:
            # Not in the catalog: a bare filter id still works (benches, snapshots).
            from mirror.render.composite.filters import FILTERS

            return style_id if style_id in FILTERS else None
        filter_id = style.filter
        if not filter_id:
            return None
        if PROMPT_STYLE in self.provided or (style.neural and NEURAL_STYLE in self.provided):
            return None  # another stage of this run paints the style
        return filter_id

    def _buffer(self, like: np.ndarray) -> np.ndarray:
        if self._bg is None or self._bg.shape != like.shape:
            self._bg = np.empty_like(like)
        return self._bg


def _behind_the_person(coverage: np.ndarray, background_weight: np.ndarray) -> None:
    """Props drawn behind the person keep their colours only where they show: their coverage
    times the cut-out's background weight (1 − person alpha), in the props' bounding box."""
    x, y, w, h = cv2.boundingRect(coverage)
    if w and h:
        box = coverage[y:y + h, x:x + w]
        box[:] = cv2.multiply(box, background_weight[y:y + h, x:x + w], dtype=cv2.CV_8U)
