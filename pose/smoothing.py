"""The One-Euro filter (Casiez et al., CHI 2012) over arrays of coordinates.

A low-pass filter whose cutoff rises with speed: a keypoint at rest is smoothed hard (no jitter),
a fast-moving one barely (little lag). Timestamps are in seconds, so the filter behaves the same
whatever the frame rate, and frames that were skipped do not distort it.
"""
from __future__ import annotations

import math

import numpy as np


def _alpha(cutoff_hz: np.ndarray | float, dt: float) -> np.ndarray | float:
    tau = 1.0 / (2.0 * math.pi * cutoff_hz)
    return 1.0 / (1.0 + tau / dt)


class OneEuroFilter:
    """Filters an array of any shape element-wise; call `reset()` when the signal restarts.

    min_cutoff_hz: the cutoff at rest (lower = smoother when still, more lag).
    beta: how fast the cutoff rises with speed, per unit/second of the signal (pixels here).
    """

    def __init__(self, min_cutoff_hz: float = 1.0, beta: float = 0.02, d_cutoff_hz: float = 1.0) -> None:
        self.min_cutoff_hz = min_cutoff_hz
        self.beta = beta
        self.d_cutoff_hz = d_cutoff_hz
        self.reset()

    def reset(self) -> None:
        self._x: np.ndarray | None = None
        self._dx: np.ndarray | None = None
        self._t: float | None = None

    def __call__(self, x: np.ndarray, t: float) -> np.ndarray:
        x = np.asarray(x, np.float64)
        if self._x is None or self._x.shape != x.shape or self._t is None:
            self._x, self._dx, self._t = x.copy(), np.zeros_like(x), t
            return x.copy()
        dt = t - self._t
        if dt <= 0:  # a repeated or out-of-order timestamp: keep the estimate, do not divide by zero
            return self._x.copy()
        dx = (x - self._x) / dt
        a_d = _alpha(self.d_cutoff_hz, dt)
        self._dx = a_d * dx + (1 - a_d) * self._dx
        cutoff = self.min_cutoff_hz + self.beta * np.abs(self._dx)
        a = _alpha(cutoff, dt)
        self._x = a * x + (1 - a) * self._x
        self._t = t
        return self._x.copy()
