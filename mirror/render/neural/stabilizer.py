"""Temporal stabilisation of a feed-forward style network's output.

Such networks flicker on video: tiny input changes (sensor noise, a 1 px sway) flip brush strokes
from frame to frame. Where the network's *input* did not change, we keep most of the previous
output; where it moved, the new output shows through at once, so motion is not smeared:

    change = blur(max_c |input − reference|)       at the network's small size (cheap; averaging
                                                    there already tells noise from motion)
    a      = clip((change − NOISE) · GAIN, A_MIN, 1)
    out    = a · new + (1 − a) · previous_out       at full size, so the detail brought back from
    reference = a · input + (1 − a) · reference     the composite is held still too

`reference` is the input the held output stands for, blended the same way as the output: a slow
drift accumulates against it until it counts as a change, where a frame-to-frame difference would
never see it. Deterministic: the same frames give the same output.
"""
from __future__ import annotations

import cv2
import numpy as np

NOISE = 0.03  # input change (0..1) below which a pixel counts as still: sensor noise + codec
GAIN = 8.0  # how fast a moving pixel takes the new output (change ≥ 0.155 → fully new)
A_MIN = 0.1  # a still pixel still follows slowly, so lighting changes come through in ~0.3 s


class Stabilizer:
    def __init__(self) -> None:
        self._reference: np.ndarray | None = None
        self._prev_out: np.ndarray | None = None
        self._a_full = self._b_full = None  # full-size weight buffers, reused

    def reset(self) -> None:
        self._reference = self._prev_out = None

    def __call__(self, small_in: np.ndarray, out: np.ndarray) -> np.ndarray:
        """small_in: (h, w, 3) float32 0..1, the network's input; out: (H, W, 3) uint8, the new
        repaint, blended with the previous one in place. Returns `out`."""
        if self._reference is None or self._reference.shape != small_in.shape or self._prev_out.shape != out.shape:
            self._reference, self._prev_out = small_in.copy(), out.copy()
            self._a_full = np.empty(out.shape[:2], np.float32)
            self._b_full = np.empty(out.shape[:2], np.float32)
            return out
        diff = cv2.absdiff(small_in, self._reference)
        change = cv2.max(cv2.max(diff[..., 0], diff[..., 1]), diff[..., 2])  # any channel counts
        change = cv2.GaussianBlur(change, (5, 5), 0)  # a pixel and its neighbours move together
        a = np.clip((change - NOISE) * GAIN, A_MIN, 1.0)
        cv2.subtract(small_in, self._reference, dst=diff)
        cv2.multiply(diff, cv2.merge((a, a, a)), dst=diff)
        cv2.add(self._reference, diff, dst=self._reference)
        cv2.resize(a, out.shape[1::-1], dst=self._a_full, interpolation=cv2.INTER_LINEAR)
        np.subtract(1.0, self._a_full, out=self._b_full)
        cv2.blendLinear(out, self._prev_out, self._a_full, self._b_full, dst=out)
        np.copyto(self._prev_out, out)
        return out


def flicker_score(inputs: list[np.ndarray], outputs: list[np.ndarray]) -> float:
    """Mean absolute frame-to-frame change of the output relative to the input's own change."""
    def change(frames: list[np.ndarray]) -> float:
        return float(np.mean([cv2.absdiff(a, b).mean() for a, b in zip(frames, frames[1:])]))

    return change(outputs) / max(change(inputs), 1e-6)
