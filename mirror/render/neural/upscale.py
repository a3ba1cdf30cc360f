"""Back from the network's small resolution to the mirror's, with edges from the full-size composite.

The style lives in the low frequencies (colours, strokes); sharp edges live in the full-resolution
composite. A plain upscale of the painting looks blurry, and adding the photo's lost detail back
as is (out = up(painting) + k · detail) pastes grey photo edges over the paint. So the detail is
translated into the painting's colours first (joint upsampling with a guided-filter gain):

    at the small size, per pixel and channel c:  A_c = cov(painting_c, Y) / (var(Y) + EPS)
        over a small window, Y = the luminance of the network's input — how strongly the painting
        follows the photo's brightness there (≈ 0 where it invents brush strokes, > 0 on outlines
        it kept, < 0 where it inverted them)
    at full size:  out_c = up(painting_c) + up(A_c) · (Y_full − up(Y_small))

computed as a fast guided filter does, with the products taken at the small size:

    B_c = painting_c − A_c · Y_small   (small)        out_c = up(A_c) · Y_full + up(B_c)   (full)

(the same up to interpolating A · Y_small rather than multiplying the interpolated A and Y_small,
which differ only where A changes within a pixel of the small size). Full size then costs one grey
conversion, two resizes and one multiply-add that saturates straight into uint8.

The painting's own strokes and colours are kept exactly (first term); the photo's fine edges come
back only as strongly, and in the colours, that the painting itself uses there. A is clipped to
[DETAIL_FLOOR, DETAIL_CEIL]: the floor keeps faces readable at the small working size, the ceiling
stops a high-contrast style from amplifying camera noise.

Cost: the fit is at the small size; at full size the passes above, into buffers reused every frame
(`mirror bench neural --no-pipeline`: 2.0 → 1.4 ms at 640×480, 4.8 → 3.1 ms at 1280×720 here).
"""
from __future__ import annotations

import cv2
import numpy as np

RADIUS = 2  # window radius at the small size (≈ 6 px at full size): about one brush stroke
EPS = 0.002  # regularisation (variance, 0..1 scale): flat photo areas get the floor gain
DETAIL_FLOOR = 0.5  # minimum share of the photo's fine detail, everywhere: faces stay readable
DETAIL_CEIL = 1.5


class GuidedUpsampler:
    """Buffers for one output size, reused for every frame."""

    def __init__(self) -> None:
        self._shape: tuple[int, int] | None = None

    def _buffers(self, h: int, w: int) -> None:
        if self._shape != (h, w):
            self._shape = (h, w)
            self._gain = np.empty((h, w, 3), np.float32)
            self._offset = np.empty((h, w, 3), np.float32)
            self._y = np.empty((h, w), np.uint8)
            self._y3 = np.empty((h, w, 3), np.uint8)

    def __call__(self, painting_small: np.ndarray, small_guide: np.ndarray, guide: np.ndarray,
                 out: np.ndarray | None = None) -> np.ndarray:
        """painting_small, small_guide: (h, w, 3) float32 0..1 (the network's output and input);
        guide: (H, W, 3) uint8, the full-size composite → (H, W, 3) uint8, into `out` when given."""
        h, w = guide.shape[:2]
        self._buffers(h, w)
        y_small = cv2.cvtColor(small_guide, cv2.COLOR_RGB2GRAY)  # (h', w') float32 0..1
        gain = detail_gain(painting_small, y_small)  # (h', w', 3)
        # B = painting − A · Y_small, in 0..255 units: out = up(A) · Y_full(0..255) + up(B).
        offset = cv2.multiply(gain, cv2.merge((y_small, y_small, y_small)))
        cv2.subtract(painting_small, offset, dst=offset)
        offset *= 255.0
        cv2.resize(gain, (w, h), dst=self._gain, interpolation=cv2.INTER_LINEAR)
        cv2.resize(offset, (w, h), dst=self._offset, interpolation=cv2.INTER_LINEAR)
        cv2.cvtColor(guide, cv2.COLOR_RGB2GRAY, dst=self._y)
        cv2.cvtColor(self._y, cv2.COLOR_GRAY2RGB, dst=self._y3)
        cv2.multiply(self._gain, self._y3, dst=self._gain, dtype=cv2.CV_32F)
        if out is None:
            out = np.empty((h, w, 3), np.uint8)
        # Rounded and saturated to 0..255 on the way into uint8.
        cv2.add(self._gain, self._offset, dst=out, dtype=cv2.CV_8U)
        return out


def detail_gain(painting: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Per pixel and channel, the local least-squares slope of the painting against the luminance
    over a (2·RADIUS+1)² window, averaged over the window as a guided filter does. (h, w, 3)."""
    k = (2 * RADIUS + 1,) * 2
    box = lambda x: cv2.blur(x, k, borderType=cv2.BORDER_REFLECT)  # noqa: E731
    y3 = cv2.merge((y, y, y))
    mean_y, mean_p = box(y3), box(painting)
    cov = box(y3 * painting) - mean_y * mean_p
    var = box(y3 * y3) - mean_y * mean_y
    return np.clip(box(cov / (var + EPS)), DETAIL_FLOOR, DETAIL_CEIL)


def upscale_with_detail(painting_small: np.ndarray, small_guide: np.ndarray, guide: np.ndarray) -> np.ndarray:
    """One-off form of GuidedUpsampler (allocates its buffers on each call)."""
    return GuidedUpsampler()(painting_small, small_guide, guide)
