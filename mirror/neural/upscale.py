"""Back from the network's small resolution to the mirror's, keeping the composite's sharp detail.

The style lives in the low frequencies (colours, strokes); edges and fine texture live in the
full-resolution composite. So: upscale the stylised image and add back the detail the downscale
removed from the composite — out = up(stylised) + k · (composite − up(down(composite))).
"""
from __future__ import annotations

import cv2
import numpy as np

DETAIL = 0.6  # 1.0 brings back every photo detail; 0.6 keeps edges crisp and the paint visible


def upscale_with_detail(stylised_small: np.ndarray, small_guide: np.ndarray, guide: np.ndarray) -> np.ndarray:
    """stylised_small, small_guide: (h, w, 3) float32 0..1; guide: (H, W, 3) uint8 → (H, W, 3) uint8."""
    h, w = guide.shape[:2]
    up = cv2.resize(stylised_small, (w, h), interpolation=cv2.INTER_LINEAR)
    up_guide = cv2.resize(small_guide, (w, h), interpolation=cv2.INTER_LINEAR)
    detail = guide.astype(np.float32) * (1 / 255) - up_guide
    out = up + DETAIL * detail
    return np.clip(out * 255 + 0.5, 0, 255).astype(np.uint8)
