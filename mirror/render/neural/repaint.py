"""The neural repaint stage: the composite, repainted by a pretrained style network on the CPU.

Per frame (≈ 18 ms on one core at the default 192×144 working size and 640×480 output, ≈ 22 ms at 1280×720):
    composite (H, W, 3) ──area downscale──▶ (h, w, 3) ──multistyle26(weights)──▶ painting (h, w, 3)
    painting ──guided upsampling with the composite's edges (upscale.py)──▶ (H, W, 3)
    ──temporal stabiliser (stabilizer.py)──▶ ──mix with the composite (preset mix × style_strength)
It runs after the composite in its own worker thread (own_thread), so pose and the composite of the
next frame overlap it; the pipeline's latest-frame slot in front of it drops, never queues.

The network (an onnxruntime session: reading, fusing and building it takes ~20 ms) and the presets
are opened once per process (`open_shared`, at start-up) and shared by every person; a person's
stage holds only its buffers, blend and stabiliser, so opening one costs the event loop ~nothing.

Scene style → preset: `catalog.styles[scene.style].neural` names a preset in neural_presets.toml.
No preset (or no style) returns the input array itself at ~zero cost. A style change moves the
weight vector over BLEND_S instead of jumping; removing the style fades the repaint out the same way.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, ClassVar

import cv2
import numpy as np

from mirror.render.neural.models import NUM_LEARNED, NeuralModelError, StyleNetwork
from mirror.render.neural.presets import Presets
from mirror.render.neural.stabilizer import Stabilizer
from mirror.render.neural.prop_colours import restore_prop_colours
from mirror.render.neural.upscale import GuidedUpsampler
from mirror.render.stage import NEURAL_STYLE, PROPS_ALPHA, Availability, Needs, StageBase, StageContext

if TYPE_CHECKING:
    from mirror.server.settings import Settings
    from pose import Pose
    from world import Catalog, Scene


BLEND_S = 0.5  # style changes cross over this long: a jump looks like a glitch


@dataclass(frozen=True)
class NeuralShared:
    """What every person's repaint shares: the network (onnxruntime runs one session from several
    threads at once; with one intra-op thread each call runs on its caller's thread) and the presets."""

    network: StyleNetwork
    presets: Presets

    def close(self) -> None:
        pass  # onnxruntime frees the session with the object


class NeuralRepaint(StageBase):
    name: ClassVar[str] = "neural"
    needs: ClassVar[Needs] = Needs(weights=True, planes=True)
    own_thread: ClassVar[bool] = True
    provides: ClassVar[frozenset[str]] = frozenset({NEURAL_STYLE})

    def __init__(self, settings: "Settings", catalog: "Catalog", *, presets: Presets | None = None,
                 network: StyleNetwork | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self._catalog = catalog
        self.presets = presets or Presets.load()
        missing = sorted({s.neural for s in catalog.styles.values() if s.neural and s.neural not in self.presets})
        if missing:
            raise NeuralModelError(f"the catalog's styles name neural presets {missing} that "
                                   "world/catalog/neural_presets.toml does not define: add them there")
        self._network = network or StyleNetwork(threads=settings.neural_threads)
        # The network downsamples by 4 and upsamples back: the working size must be a multiple of 4.
        self.size = (max(32, settings.neural_width // 4 * 4), max(32, settings.neural_height // 4 * 4))
        self._stabilizer = Stabilizer() if settings.neural_stabilize else None
        self._upsampler = GuidedUpsampler()
        self._clock = clock
        w, h = self.size
        self._small = np.empty((h, w, 3), np.uint8)  # buffers reused every frame
        self._small_f = np.empty((h, w, 3), np.float32)
        self._input = np.empty((1, 3, h, w), np.float32)
        self._painting = np.empty((h, w, 3), np.float32)
        # Two output buffers, used in turn: the frame returned last time stays intact while the
        # next one is painted (callers may still be reading it, e.g. the encoder's conversion).
        self._outputs: list[np.ndarray] = []
        self._turn = 0
        # Blend state: weights and opacity move from (from_*) to (to_*) over BLEND_S.
        self._from_w = self._to_w = np.zeros(NUM_LEARNED, np.float32)
        self._from_a = self._to_a = 0.0
        self._since = -np.inf
        self._target: str | None = None
        self._last_weights = self._from_w
        self._timings: dict[str, float] = {}  # step → seconds, last painted frame

    @classmethod
    def available(cls, settings: "Settings") -> Availability:
        """Load the network once (at start-up): a missing or broken model is one clear sentence."""
        try:
            StyleNetwork(threads=settings.neural_threads)
        except (NeuralModelError, OSError, ValueError) as exc:
            return Availability.no(str(exc))
        return Availability.yes()

    @classmethod
    def open_shared(cls, settings: "Settings") -> NeuralShared:
        """Once per process, at start-up: the network's session and the presets."""
        return NeuralShared(StyleNetwork(threads=settings.neural_threads), Presets.load())

    @classmethod
    def open(cls, context: StageContext) -> "NeuralRepaint":
        shared = context.shared.get(cls.name) if context.shared is not None else None
        if shared is None:  # outside a server (a tool, a test): its own network
            return cls(context.settings, context.catalog)
        return cls(context.settings, context.catalog, presets=shared.presets, network=shared.network)

    def timings(self) -> dict[str, float]:
        return self._timings

    def preset_for(self, scene: "Scene") -> str | None:
        style = self._catalog.styles.get(scene.style) if scene.style else None
        return style.neural if style else None

    def render(self, image: np.ndarray, pose: "Pose | None", scene: "Scene",
               planes: dict[str, np.ndarray] | None = None) -> np.ndarray:
        """planes: the props' coverage (PROPS_ALPHA), inside which the composite's colours return."""
        preset = self.preset_for(scene)
        weights, opacity = self._blend(preset)
        mix = self.presets[preset].mix if preset else 1.0
        strength = opacity * scene.style_strength * mix
        if strength <= 0.0:
            if self._stabilizer:
                self._stabilizer.reset()
            return image
        t0 = time.perf_counter()
        w, h = self.size
        area_downscale(image, self._small)
        np.multiply(self._small, np.float32(1 / 255), out=self._small_f)
        for c in range(3):  # (h, w, 3) → (1, 3, h, w), plane by plane (a strided copy is 5× slower)
            cv2.extractChannel(self._small_f, c, dst=self._input[0, c])
        t1 = time.perf_counter()
        out = self._network(self._input, weights)  # (1, 3, h, w)
        t2 = time.perf_counter()
        cv2.merge((out[0, 0], out[0, 1], out[0, 2]), dst=self._painting)  # (h, w, 3), ~0..1; clipped at the end
        painted = self._upsampler(self._painting, self._small_f, image, out=self._output_buffer(image.shape))
        t3 = time.perf_counter()
        if self._stabilizer:
            if not np.array_equal(weights, self._last_weights):
                # While the style moves, every frame is meant to differ: holding the previous
                # output would drag the old style along for seconds on a still person.
                self._stabilizer.reset()
            painted = self._stabilizer(self._small_f, painted)
        self._last_weights = weights
        if strength < 1.0:
            cv2.addWeighted(painted, strength, image, 1.0 - strength, 0.0, dst=painted)
        t4 = time.perf_counter()
        coverage = planes.get(PROPS_ALPHA) if planes else None
        if coverage is not None and coverage.shape == image.shape[:2]:
            restore_prop_colours(painted, image, coverage)
        t5 = time.perf_counter()
        self._timings = {"downscale": t1 - t0, "network": t2 - t1, "upscale": t3 - t2, "stabilise+mix": t4 - t3,
                         "prop_colours": t5 - t4}
        return painted

    def _output_buffer(self, shape: tuple[int, ...]) -> np.ndarray:
        if not self._outputs or self._outputs[0].shape != shape:
            self._outputs = [np.empty(shape, np.uint8), np.empty(shape, np.uint8)]
        self._turn ^= 1
        return self._outputs[self._turn]

    def _blend(self, preset: str | None) -> tuple[np.ndarray, float]:
        """The weight vector and repaint opacity for now, moving linearly over BLEND_S after a change."""
        now = self._clock()
        t = min(1.0, (now - self._since) / BLEND_S)
        current_w = self._from_w + (self._to_w - self._from_w) * t
        current_a = self._from_a + (self._to_a - self._from_a) * t
        if preset != self._target:
            self._target = preset
            self._from_w, self._from_a = current_w, current_a
            if preset is not None:
                self._to_w, self._to_a = self.presets[preset].weights, 1.0
                if current_a <= 0.0:  # nothing painted yet: start from the target style, fade it in
                    self._from_w = self._to_w
            else:
                self._to_w, self._to_a = current_w, 0.0
            self._since, t = now, 0.0
            current_w, current_a = self._from_w, self._from_a
        weights = current_w / max(float(current_w.sum()), 1e-6)
        return weights.astype(np.float32), float(current_a)

    def close(self) -> None:
        self._outputs = []


def area_downscale(image: np.ndarray, dst: np.ndarray) -> None:
    """Anti-aliased (area-averaging) resize of `image` into `dst`: the network then sees each
    frame's noise averaged away the same way. Exact halvings first: OpenCV's area resize has a fast
    path for them (640×480 → 224×168: 0.6 ms instead of 1.4 ms)."""
    h, w = dst.shape[:2]
    while image.shape[0] >= 2 * h and image.shape[1] >= 2 * w and image.shape[0] % 2 == 0 and image.shape[1] % 2 == 0:
        image = cv2.resize(image, (image.shape[1] // 2, image.shape[0] // 2), interpolation=cv2.INTER_AREA)
    cv2.resize(image, (w, h), dst=dst, interpolation=cv2.INTER_AREA)
