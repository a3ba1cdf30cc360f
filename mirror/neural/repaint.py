"""The neural repaint stage: the composite, repainted by a pretrained style network on the CPU.

Runs after the composite, in its own worker thread (own_thread), so pose and the composite of the
next frame overlap it. The network runs at a reduced resolution (Settings.neural_width × height)
and the result is brought back to full size with the composite's own detail (upscale.py).
A style change blends the weight vector over BLEND_S instead of jumping; removing the style fades
the repaint out the same way. `scene.style_strength` blends composite and repaint.
"""
from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Callable, ClassVar

import cv2
import numpy as np

from mirror.neural.model import NeuralModelError, StyleNetwork
from mirror.neural.presets import NUM_LEARNED, Presets
from mirror.neural.stabilizer import Stabilizer
from mirror.neural.upscale import upscale_with_detail

if TYPE_CHECKING:
    from mirror.settings import Settings
    from pose import Pose
    from world import Catalog, Scene

log = logging.getLogger(__name__)

BLEND_S = 0.5  # style changes cross over this long: a jump looks like a glitch


class NeuralRepaint:
    name: ClassVar[str] = "neural"
    needs_pose: ClassVar[bool] = False
    needs_matte: ClassVar[bool] = False
    needs_gpu: ClassVar[bool] = False
    own_thread: ClassVar[bool] = True

    def __init__(self, settings: "Settings", catalog: "Catalog", *, presets: Presets | None = None,
                 network: StyleNetwork | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self._catalog = catalog
        self._presets = presets or Presets.load()
        missing = [s.neural for s in catalog.styles.values() if s.neural and s.neural not in self._presets.weights]
        if missing:
            raise NeuralModelError(f"styles name neural presets that do not exist: {missing}")
        self._network = network or StyleNetwork(threads=settings.neural_threads)
        # The network downsamples by 4: keep the working size a multiple of 4.
        self._size = (settings.neural_width // 4 * 4, settings.neural_height // 4 * 4)
        self._stabilizer = Stabilizer() if settings.neural_stabilize else None
        self._clock = clock
        w, h = self._size
        self._input = np.zeros((1, 3, h, w), np.float32)  # reused every frame
        # Blend state: weights and opacity move from (from_*) to (to_*) over BLEND_S.
        self._from_w = self._to_w = np.zeros(NUM_LEARNED, np.float32)
        self._from_a = self._to_a = 0.0
        self._since = -np.inf
        self._target: str | None = None

    @classmethod
    def try_create(cls, settings: "Settings", catalog: "Catalog") -> tuple["NeuralRepaint | None", str | None]:
        try:
            return cls(settings, catalog), None
        except (NeuralModelError, OSError, ValueError) as exc:
            return None, str(exc)

    def preset_for(self, scene: "Scene") -> str | None:
        style = self._catalog.styles.get(scene.style) if scene.style else None
        return style.neural if style else None

    def render(self, image: np.ndarray, pose: "Pose | None", scene: "Scene") -> np.ndarray:
        preset = self.preset_for(scene)
        weights, opacity = self._blend(preset)
        strength = opacity * scene.style_strength * (self._presets.mix.get(preset, 1.0) if preset else 1.0)
        if strength <= 0.0:
            if self._stabilizer:
                self._stabilizer.reset()
            return image
        w, h = self._size
        small = cv2.resize(image, (w, h), interpolation=cv2.INTER_AREA).astype(np.float32) * (1 / 255)
        self._input[0] = small.transpose(2, 0, 1)
        out = self._network(self._input, weights)[0].transpose(1, 2, 0)  # (h, w, 3)
        painted = upscale_with_detail(np.clip(out, 0.0, 1.0), small, image)
        if self._stabilizer:
            painted = self._stabilizer(small, painted)
        if strength >= 1.0:
            return painted
        return cv2.addWeighted(painted, strength, image, 1.0 - strength, 0.0)

    def _blend(self, preset: str | None) -> tuple[np.ndarray, float]:
        now = self._clock()
        t = min(1.0, (now - self._since) / BLEND_S)
        current_w = self._from_w + (self._to_w - self._from_w) * t
        current_a = self._from_a + (self._to_a - self._from_a) * t
        if preset != self._target:
            self._target = preset
            self._from_w, self._from_a = current_w, current_a
            if preset is not None:
                self._to_w, self._to_a = self._presets.weights[preset], 1.0
                if current_a <= 0.0:  # nothing painted yet: start from the target style, fade it in
                    self._from_w = self._to_w
            else:
                self._to_w, self._to_a = current_w, 0.0
            self._since, t = now, 0.0
            current_w, current_a = self._from_w, self._from_a
        weights = current_w / max(float(current_w.sum()), 1e-6)
        return weights.astype(np.float32), float(current_a)

    def close(self) -> None:
        pass
