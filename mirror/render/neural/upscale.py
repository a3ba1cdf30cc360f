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
    """Buffers for one output size and one working size, reused for every frame: a frame allocates
    nothing (a dozen fresh 330 KB arrays a frame cost ~370 page faults, ~0.7 ms at 640×480)."""

    def __init__(self) -> None:
        self._shape: tuple[int, int] | None = None
        self._small_shape: tuple[int, ...] | None = None

    def _buffers(self, h: int, w: int, small: tuple[int, ...]) -> None:
        if self._shape != (h, w):
            self._shape = (h, w)
            self._gain = np.empty((h, w, 3), np.float32)
            self._offset = np.empty((h, w, 3), np.float32)
            self._y = np.empty((h, w), np.uint8)
            self._y3 = np.empty((h, w, 3), np.uint8)
        if self._small_shape != small:
            self._small_shape = small
            self._y_small = np.empty(small[:2], np.float32)
            self._fit = {name: np.empty(small, np.float32)
                         for name in ("y3", "mean_y", "mean_p", "product", "cov", "var", "gain", "offset")}

    def __call__(self, painting_small: np.ndarray, small_guide: np.ndarray, guide: np.ndarray,
                 out: np.ndarray | None = None) -> np.ndarray:
        """painting_small, small_guide: (h, w, 3) float32 0..1 (the network's output and input);
        guide: (H, W, 3) uint8, the full-size composite → (H, W, 3) uint8, into `out` when given."""
        h, w = guide.shape[:2]
        self._buffers(h, w, painting_small.shape)
        gain, offset = self._fit_small(painting_small, small_guide)
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

    def _fit_small(self, painting: np.ndarray, small_guide: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """A and B at the small size: A per pixel and channel the local least-squares slope of the
        painting against the luminance over a (2·RADIUS+1)² window, averaged over the window as a
        guided filter does, clipped; B = (painting − A · Y_small) · 255."""
        b = self._fit
        k = (2 * RADIUS + 1,) * 2

        def box(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
            return cv2.blur(src, k, dst=dst, borderType=cv2.BORDER_REFLECT)

        cv2.cvtColor(small_guide, cv2.COLOR_RGB2GRAY, dst=self._y_small)
        y3 = cv2.merge((self._y_small,) * 3, dst=b["y3"])
        mean_y, mean_p = box(y3, b["mean_y"]), box(painting, b["mean_p"])
        cov = box(cv2.multiply(y3, painting, dst=b["product"]), b["cov"])
        cv2.subtract(cov, cv2.multiply(mean_y, mean_p, dst=b["product"]), dst=cov)
        var = box(cv2.multiply(y3, y3, dst=b["product"]), b["var"])
        cv2.subtract(var, cv2.multiply(mean_y, mean_y, dst=b["product"]), dst=var)
        var += EPS
        gain = box(cv2.divide(cov, var, dst=b["product"]), b["gain"])
        np.clip(gain, DETAIL_FLOOR, DETAIL_CEIL, out=gain)
        offset = cv2.subtract(painting, cv2.multiply(gain, y3, dst=b["offset"]), dst=b["offset"])
        offset *= 255.0
        return gain, offset
