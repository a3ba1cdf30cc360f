"""The temporal stabiliser: still input → steady output; moving input → the new output at once."""
from __future__ import annotations

import numpy as np

from mirror.render.neural.stabilizer import Stabilizer, flicker_score

SMALL, FULL = (30, 40), (90, 120)  # (h, w) at the network's size and at the mirror's


def frames(seed: int = 0):
    rng = np.random.default_rng(seed)
    small_in = np.full((*SMALL, 3), 0.5, np.float32)
    return rng, small_in


def painting(rng) -> np.ndarray:
    """A network output that flickers: fresh random brush noise every frame."""
    return rng.integers(80, 176, size=(*FULL, 3), dtype=np.uint8)


def test_still_input_holds_the_output_steady():
    rng, small_in = frames()
    stabilizer = Stabilizer()
    raw, steady = [], []
    for _ in range(30):
        noisy_in = small_in + rng.normal(0, 0.003, small_in.shape).astype(np.float32)  # sensor noise
        new = painting(rng)
        raw.append(new.copy())
        steady.append(stabilizer(noisy_in, new).copy())
    change = lambda fs: np.mean([np.abs(b.astype(int) - a).mean() for a, b in zip(fs[10:], fs[11:])])  # noqa: E731
    assert change(steady) < change(raw) / 4


def test_a_moving_region_takes_the_new_output_at_once():
    rng, small_in = frames()
    stabilizer = Stabilizer()
    for _ in range(5):
        stabilizer(small_in, painting(rng))
    moved_in = small_in.copy()
    moved_in[10:20, 10:20] = 0.9  # something bright entered this patch (≈ 30×30 px at full size)
    new = painting(rng)
    out = stabilizer(moved_in, new.copy())
    inside = (slice(36, 54), slice(36, 54))  # the patch at full size, away from its blurred border
    assert np.array_equal(out[inside], new[inside])  # no ghost of the old frame where it moved
    assert not np.array_equal(out[:20, 80:], new[:20, 80:])  # still parts stay held


def test_a_slow_drift_still_comes_through():
    # Lighting that brightens by 0.004 per frame: under the noise threshold frame to frame, but
    # the stabiliser compares against the input its held output stands for.
    rng, small_in = frames()
    stabilizer = Stabilizer()
    out = None
    for i in range(60):
        level = 100 + i * 1  # the painting brightens with the input
        out = stabilizer(small_in + i * 0.004, np.full((*FULL, 3), level, np.uint8))
    assert abs(int(out.mean()) - 159) <= 6  # follows within a few frames' worth of lag


def test_reset_forgets_the_previous_output():
    rng, small_in = frames()
    stabilizer = Stabilizer()
    stabilizer(small_in, painting(rng))
    stabilizer.reset()
    new = painting(rng)
    assert np.array_equal(stabilizer(small_in, new.copy()), new)


def test_flicker_score_is_output_change_over_input_change():
    inputs = [np.full((4, 4, 3), v, np.uint8) for v in (10, 12, 10, 12)]  # changes by 2 each frame
    outputs = [np.full((4, 4, 3), v, np.uint8) for v in (50, 51, 50, 51)]  # changes by 1
    assert flicker_score(inputs, outputs) == 0.5
