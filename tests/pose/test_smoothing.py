import numpy as np

from pose.smoothing import OneEuroFilter


def test_still_signal_with_jitter_is_smoothed():
    rng = np.random.default_rng(0)
    f = OneEuroFilter(min_cutoff_hz=1.0, beta=0.02)
    raw = 100 + rng.normal(0, 3, size=(300, 2))
    out = np.array([f(x, i / 30) for i, x in enumerate(raw)])
    assert out[30:].std(axis=0).max() < raw[30:].std(axis=0).min() / 2


def test_moving_signal_is_followed_with_little_lag():
    f = OneEuroFilter(min_cutoff_hz=1.0, beta=0.05)
    t = np.arange(60) / 30
    raw = 200 * t  # 200 px/s
    out = np.array([f(np.array([x]), ti)[0] for x, ti in zip(raw, t)])
    assert abs(out[-1] - raw[-1]) < 10  # well under one frame's travel at rest cutoff would be ~30 px


def test_repeated_timestamp_keeps_the_estimate():
    f = OneEuroFilter()
    f(np.array([1.0]), 0.0)
    first = f(np.array([5.0]), 0.1)
    again = f(np.array([500.0]), 0.1)
    assert again[0] == first[0]
