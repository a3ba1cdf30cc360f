"""Temporal stabilisation of a feed-forward style network's output.

Such networks flicker on video: tiny input changes (sensor noise, a 1 px sway) flip brush strokes
from frame to frame. Where the network's *input* did not change, we keep most of the previous
output; where it moved, the new output shows through at once, so motion is not smeared.
Per pixel: a = clip((|Δinput| − NOISE) · GAIN, A_MIN, 1); out = a · new + (1 − a) · previous.
The weight is computed at the network's small size (cheap, and averaging there already tells noise
from motion) and applied to the full-size output, so the detail brought back from the composite
is held still too.
"""
from __future__ import annotations

import cv2
import numpy as np

NOISE = 0.02  # input change (0..1) below which a pixel counts as still: sensor noise + codec
GAIN = 12.0  # how fast a moving pixel takes the new output
A_MIN = 0.15  # a still pixel still follows slowly, so lighting changes come through in ~0.2 s


class Stabilizer:
    def __init__(self) -> None:
        self._prev_in: np.ndarray | None = None
        self._prev_out: np.ndarray | None = None

    def reset(self) -> None:
        self._prev_in = self._prev_out = None

    def __call__(self, small_in: np.ndarray, out: np.ndarray) -> np.ndarray:
        """small_in: (h, w, 3) float32 0..1, the network's input; out: (H, W, 3) uint8, the repaint."""
        if self._prev_in is None or self._prev_in.shape != small_in.shape or self._prev_out.shape != out.shape:
            self._prev_in, self._prev_out = small_in.copy(), out.copy()
            return out
        change = np.abs(small_in - self._prev_in).max(axis=2)
        change = cv2.GaussianBlur(change, (5, 5), 0)  # a pixel and its neighbours move together
        a = np.clip((change - NOISE) * GAIN, A_MIN, 1.0)
        a_full = cv2.resize(a, (out.shape[1], out.shape[0]), interpolation=cv2.INTER_LINEAR)
        blended = cv2.blendLinear(out, self._prev_out, a_full, 1.0 - a_full)
        self._prev_in[...] = small_in
        self._prev_out[...] = blended
        return blended


def flicker_score(inputs: list[np.ndarray], outputs: list[np.ndarray]) -> float:
    """Mean absolute frame-to-frame change of the output relative to the input's own change."""
    def change(frames: list[np.ndarray]) -> float:
        return float(np.mean([np.abs(b.astype(np.float32) - a.astype(np.float32)).mean()
                              for a, b in zip(frames, frames[1:])]))

    return change(outputs) / max(change(inputs), 1e-6)
