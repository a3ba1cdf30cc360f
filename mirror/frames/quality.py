"""The output size, adapted to what the machine holds: HD when it can, never a stalled mirror.

The mirror renders and sends at the camera's size, fitted into the current level's box (never
upscaled): 1280×720, then 960×540, then the floor (640×480 by default). Each frame reports how long
the busiest worker of the frame path spent on it; when that runs over the frame budget the size
steps down at once (a stutter is worse than softness), and it steps back up only when the larger
size, scaled by its pixel count, would still fit with room to spare for a while. Every change is
counted and the current size is a gauge on /metrics.
"""
from __future__ import annotations

import logging
import threading
import time
from collections import deque
from typing import TYPE_CHECKING, Callable

import numpy as np

from mirror.events import Event, Quality

if TYPE_CHECKING:
    from mirror.server.settings import Settings

log = logging.getLogger(__name__)

DOWN_WINDOW_S = 1.0  # over budget for this long (p80) → step down
UP_WINDOW_S = 3.0  # this long with room (p90 × pixel growth < UP_HEADROOM × budget) → step up
UP_HEADROOM = 0.8
COOLDOWN_S = 2.0  # after a change, its effect is measured before the next one
MIN_SAMPLES = 10  # frames seen before stepping up
MIN_DOWN_SAMPLES = 5  # frames seen before stepping down: at 2 fps a second holds only two


MIDDLE_BOX = (960, 540)  # between HD and the floor: 56 % of 720p's pixels


def ladder(settings: "Settings") -> list[tuple[int, int]]:
    """The boxes the output steps through, largest first: max size, 960×540, the floor."""
    top, floor = (settings.max_width, settings.max_height), (settings.width, settings.height)
    boxes = {top, floor}
    if _area(floor) < _area(MIDDLE_BOX) < _area(top):
        boxes.add(MIDDLE_BOX)
    return sorted(boxes, key=_area, reverse=True)


def for_settings(settings: "Settings", publish: Callable[[Event], None] | None = None) -> "AdaptiveQuality":
    return AdaptiveQuality(ladder(settings), budget_s=1.0 / settings.target_fps,
                           adaptive=settings.adaptive_quality, publish=publish)


def fit(camera: tuple[int, int], box: tuple[int, int], *, upscale: bool = False) -> tuple[int, int]:
    """The camera's (width, height) scaled down (or also up) to fit `box`, aspect kept, even sides."""
    cw, ch = camera
    scale = min(box[0] / cw, box[1] / ch)
    if not upscale:
        scale = min(1.0, scale)
    return max(2, int(cw * scale) // 2 * 2), max(2, int(ch * scale) // 2 * 2)


class AdaptiveQuality:
    def __init__(self, boxes: list[tuple[int, int]], budget_s: float, *, adaptive: bool = True,
                 clock: Callable[[], float] = time.monotonic,
                 publish: Callable[[Event], None] | None = None) -> None:
        """boxes: largest first; budget_s: the time one worker may spend on a frame (1 / fps);
        publish: where each step goes, as a `Quality` event (from the frame path's last worker)."""
        self.boxes = boxes
        self.budget_s = budget_s
        self.adaptive = adaptive
        self.level = 0
        self._clock = clock
        self._publish = publish
        self._samples: deque[tuple[float, float]] = deque()
        self._since = clock()
        self._lock = threading.Lock()

    def size_for(self, camera: tuple[int, int]) -> tuple[int, int]:
        size = fit(camera, self.boxes[self.level])
        # Never below the floor: a browser that shrinks its camera under load (WebRTC's own
        # adaptation) still gets a mirror of the floor size back.
        floor = fit(camera, self.boxes[-1], upscale=True)
        return floor if size[0] * size[1] < floor[0] * floor[1] else size

    def observe(self, busy_s: float) -> None:
        """One output frame: the longest any worker of the path spent on it, in seconds."""
        if not self.adaptive:
            return
        with self._lock:
            now = self._clock()
            self._samples.append((now, busy_s))
            while self._samples and now - self._samples[0][0] > UP_WINDOW_S:
                self._samples.popleft()
            if now - self._since < COOLDOWN_S:
                return
            recent = [b for t, b in self._samples if now - t <= DOWN_WINDOW_S]
            if len(recent) < MIN_DOWN_SAMPLES:  # a slow mirror: its last few frames, however old
                recent = [b for _, b in list(self._samples)[-MIN_DOWN_SAMPLES:]]
            if len(recent) >= MIN_DOWN_SAMPLES and np.percentile(recent, 80) > self.budget_s and \
                    self.level < len(self.boxes) - 1:
                self._step(+1, "down", now)
            elif self.level > 0 and now - self._since >= UP_WINDOW_S and len(self._samples) >= MIN_SAMPLES:
                growth = _area(self.boxes[self.level - 1]) / _area(self.boxes[self.level])
                if np.percentile([b for _, b in self._samples], 90) * growth < UP_HEADROOM * self.budget_s:
                    self._step(-1, "up", now)

    def _step(self, delta: int, direction: str, now: float) -> None:
        self.level += delta
        self._samples.clear()
        self._since = now
        box = self.boxes[self.level]
        log.info("output size steps %s to fit %dx%d", direction, *box)
        if self._publish is not None:
            self._publish(Quality(box=list(box), direction=direction))


def _area(box: tuple[int, int]) -> int:
    return box[0] * box[1]
