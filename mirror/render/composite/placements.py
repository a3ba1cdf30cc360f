"""Jitter-free prop placement over time: smoothing per prop and holding through brief drop-outs.

`world.layout` places props from this frame's keypoints alone; keypoints wobble a few pixels and
can vanish for a frame. Each prop (by its index in the scene and which copy it is, and kind) gets a
One-Euro filter over (x, y, angle, height), and a prop whose placement disappears keeps its last
one for HOLD_S, fading out, instead of popping.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from pose.smoothing import OneEuroFilter
from world.layout import Placement

# Long enough to bridge a missed keypoint or two, short enough not to leave a sword in mid-air.
HOLD_S = 0.3


@dataclass
class _Track:
    kind: str
    filter: OneEuroFilter
    last: Placement
    seen_at: float
    angle_unwrapped: float


class PlacementTracker:
    def __init__(self, *, smoothing: bool = True) -> None:
        self._smoothing = smoothing
        self._tracks: dict[tuple[int, int], _Track] = {}  # by (prop index, copy)

    def update(self, placements: list[Placement], now: float) -> list[Placement]:
        """This frame's placements (world.layout, draw order) smoothed over time, plus recently lost
        props held in place and fading out."""
        out: list[Placement] = []
        seen: set[tuple[int, int]] = set()
        for p in placements:
            key = (p.prop_index, p.copy)
            seen.add(key)
            track = self._tracks.get(key)
            if track is not None and track.kind != p.kind:
                track = None  # a different prop now sits at this index: start afresh
            if track is None:
                track = _Track(p.kind, OneEuroFilter(min_cutoff_hz=1.2, beta=0.015), None, now, float(p.angle_deg))  # type: ignore[arg-type]
                self._tracks[key] = track
            # Unwrap the angle so 179° → −179° is a 2° turn, not a 358° spin.
            delta = (float(p.angle_deg) - track.angle_unwrapped + 180.0) % 360.0 - 180.0
            track.angle_unwrapped += delta
            raw = np.array([p.x, p.y, track.angle_unwrapped, p.height_px], np.float64)
            x, y, angle, height = track.filter(raw, now) if self._smoothing else raw
            track.angle_unwrapped = angle if self._smoothing else track.angle_unwrapped
            smooth = replace(p, x=float(x), y=float(y), angle_deg=float(angle), height_px=float(max(1.0, height)))
            track.last, track.seen_at = smooth, now
            out.append(smooth)
        for key, track in list(self._tracks.items()):
            if key in seen:
                continue
            age = now - track.seen_at
            if age >= HOLD_S:
                del self._tracks[key]
                continue
            out.append(replace(track.last, opacity=1.0 - age / HOLD_S))
        return out

    def forget(self, keep: int) -> None:
        """Drop tracks of prop indices >= keep (the scene lost props)."""
        for key in [k for k in self._tracks if k[0] >= keep]:
            del self._tracks[key]
