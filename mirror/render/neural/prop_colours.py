"""Props keep the colour the scene asked for under a repaint.

A style network repaints the whole frame, props included, in its own palette: "give me a blue sword"
under Van Gogh came out pale, nearly white. Inside the props' coverage (left by the composite in
the frame's planes), the composite's chroma goes back over the painting, with part of its
brightness, so the brush strokes stay and the blue comes back. Only the props' bounding box is
touched, in uint8 OpenCV passes (~1 ms for a sword held across a 640×480 frame).
"""
from __future__ import annotations

import cv2
import numpy as np

# Share of the composite's brightness put back: 0 keeps the painting's light and shade (a style's
# look), 1 pastes the prop back unpainted. Half keeps the strokes visible in a recognisable colour.
LUMA_KEEP = 0.5


def restore_prop_colours(painted: np.ndarray, composite: np.ndarray, coverage: np.ndarray) -> None:
    """painted: RGB uint8 (H, W, 3), changed in place; composite: the stage's input; coverage:
    uint8 (H, W), 255 where a prop is fully drawn."""
    x, y, w, h = cv2.boundingRect(coverage)
    if w == 0 or h == 0:
        return
    box = (slice(y, y + h), slice(x, x + w))
    ycc_painted = cv2.cvtColor(painted[box], cv2.COLOR_RGB2YCrCb)
    ycc_composite = cv2.cvtColor(composite[box], cv2.COLOR_RGB2YCrCb)
    m = coverage[box].astype(np.float32) * np.float32(1 / 255)  # (h, w)
    mixed = cv2.blendLinear(ycc_composite, ycc_painted, m, 1.0 - m)  # the composite's colour in full
    # … and its brightness in part: Y halfway between the painting's and the fully mixed one.
    luma = cv2.addWeighted(cv2.extractChannel(ycc_painted, 0), 1.0 - LUMA_KEEP, cv2.extractChannel(mixed, 0),
                           LUMA_KEEP, 0.0)
    cv2.insertChannel(luma, mixed, 0)
    painted[box] = cv2.cvtColor(mixed, cv2.COLOR_YCrCb2RGB)
