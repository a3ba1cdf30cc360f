"""Where each prop goes on the body in one frame: scene + keypoints → placements to draw.

Pure numpy on plain data (the 33 MediaPipe landmarks as a (33, 3) array of x_px, y_px,
visibility); the landmark indices are pose/'s (`pose.landmarks.Landmark`, plain data, no media
library). Conventions for a Placement:
- the artwork's pivot (e.g. a sword's grip) goes at (x, y) in pixels;
- its "up" axis is rotated `angle_deg` clockwise from image-up (image y grows downward);
- it is drawn `height_px` tall; `layer` says in front of or behind the person.
Temporal smoothing is the renderer's job; a prop whose anchor is not visible is left out.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from pose.landmarks import Landmark as L

if TYPE_CHECKING:
    from world.catalog import Catalog
    from world.scene import Scene

VISIBLE = 0.5


@dataclass(frozen=True)
class Placement:
    prop_index: int
    kind: str
    asset: str
    color_rgb: tuple[int, int, int] | None
    x: float
    y: float
    angle_deg: float
    height_px: float
    layer: str
    opacity: float = 1.0  # renderers fade a prop out when its keypoints are lost


@dataclass(frozen=True)
class _Anchor:
    x: float
    y: float
    up: tuple[float, float]  # unit vector, image coordinates


def layout(scene: "Scene", catalog: "Catalog", landmarks: np.ndarray, width: int, height: int) -> list[Placement]:
    body = _Body(landmarks)
    scale = body.scale()
    if scale is None:
        return []
    placements: list[Placement] = []
    for index, prop in enumerate(scene.props):
        entry = catalog.props.get(prop.kind)
        if entry is None:
            continue
        anchor = body.anchor(prop.anchor, scale)
        if anchor is None:
            continue
        placements.append(Placement(
            prop_index=index, kind=prop.kind, asset=entry.asset, color_rgb=catalog.color_rgb(prop.color),
            x=anchor.x, y=anchor.y, angle_deg=math.degrees(math.atan2(anchor.up[0], -anchor.up[1])),
            height_px=scale * entry.size * prop.scale, layer=entry.layer,
        ))
    # Behind-the-person art first, then front; within a layer, in the order the props were added.
    placements.sort(key=lambda p: (p.layer != "behind", p.prop_index))
    return placements


class _Body:
    def __init__(self, landmarks: np.ndarray) -> None:
        self.lm = np.asarray(landmarks, np.float64)

    def ok(self, *indices: int) -> bool:
        return all(self.lm[i, 2] >= VISIBLE for i in indices)

    def p(self, i: int) -> np.ndarray:
        return self.lm[i, :2]

    def mid(self, a: int, b: int) -> np.ndarray:
        return (self.p(a) + self.p(b)) / 2

    def scale(self) -> float | None:
        """Body size in pixels: the shoulder width, or an estimate from the head when shoulders are out."""
        if self.ok(L.LEFT_SHOULDER, L.RIGHT_SHOULDER):
            width = float(np.linalg.norm(self.p(L.LEFT_SHOULDER) - self.p(L.RIGHT_SHOULDER)))
            if width > 1:
                return width
        if self.ok(L.LEFT_EAR, L.RIGHT_EAR):
            return 2.2 * float(np.linalg.norm(self.p(L.LEFT_EAR) - self.p(L.RIGHT_EAR)))
        if self.ok(L.LEFT_EYE, L.RIGHT_EYE):
            return 5.0 * float(np.linalg.norm(self.p(L.LEFT_EYE) - self.p(L.RIGHT_EYE)))
        return None

    def head_up(self) -> np.ndarray:
        """From the mouth to the eyes: 'up' for anything worn on the head."""
        if self.ok(L.LEFT_EYE, L.RIGHT_EYE, L.MOUTH_LEFT, L.MOUTH_RIGHT):
            return _unit(self.mid(L.LEFT_EYE, L.RIGHT_EYE) - self.mid(L.MOUTH_LEFT, L.MOUTH_RIGHT))
        return self.torso_up()

    def torso_up(self) -> np.ndarray:
        if self.ok(L.LEFT_SHOULDER, L.RIGHT_SHOULDER, L.LEFT_HIP, L.RIGHT_HIP):
            return _unit(self.mid(L.LEFT_SHOULDER, L.RIGHT_SHOULDER) - self.mid(L.LEFT_HIP, L.RIGHT_HIP))
        if self.ok(L.LEFT_SHOULDER, L.RIGHT_SHOULDER):
            # Perpendicular to the shoulder line, pointing up the image.
            across = self.p(L.LEFT_SHOULDER) - self.p(L.RIGHT_SHOULDER)
            up = _unit(np.array([across[1], -across[0]]))
            return up if up[1] <= 0 else -up
        return np.array([0.0, -1.0])

    def anchor(self, name: str, scale: float) -> _Anchor | None:
        if name in ("right_hand", "left_hand"):
            wrist, elbow, index, pinky = (
                (L.RIGHT_WRIST, L.RIGHT_ELBOW, L.RIGHT_INDEX, L.RIGHT_PINKY) if name == "right_hand" else (L.LEFT_WRIST, L.LEFT_ELBOW, L.LEFT_INDEX, L.LEFT_PINKY)
            )
            if not self.ok(wrist):
                return None
            hand = [self.p(wrist)] + [self.p(i) for i in (index, pinky) if self.ok(i)]
            point = np.mean(hand, axis=0)
            # A held prop follows the forearm (elbow → wrist, continued) but always points upward:
            # with the arm hanging down a sword held along the forearm would point at the floor
            # and leave the frame, so the vertical part of the direction is mirrored.
            up = _unit(self.p(wrist) - self.p(elbow)) if self.ok(elbow) else np.array([0.0, -1.0])
            up = np.array([up[0], -abs(up[1])])
            return _Anchor(point[0], point[1], tuple(up))
        if name in ("head", "face"):
            if not self.ok(L.LEFT_EYE, L.RIGHT_EYE):
                return None
            up = self.head_up()
            eyes = self.mid(L.LEFT_EYE, L.RIGHT_EYE)
            if name == "face":
                return _Anchor(eyes[0], eyes[1], tuple(up))
            # The crown of the head sits about one eye-to-mouth distance above the eyes, scaled by body size.
            top = eyes + up * 0.32 * scale
            return _Anchor(top[0], top[1], tuple(up))
        if not self.ok(L.LEFT_SHOULDER, L.RIGHT_SHOULDER):
            return None
        shoulders = self.mid(L.LEFT_SHOULDER, L.RIGHT_SHOULDER)
        up = self.torso_up()
        if name == "neck":
            point = shoulders + up * 0.12 * scale
        elif name in ("shoulders", "back"):
            point = shoulders
        elif name == "waist":
            point = self.mid(L.LEFT_HIP, L.RIGHT_HIP) if self.ok(L.LEFT_HIP, L.RIGHT_HIP) else shoulders - up * 1.3 * scale
        elif name == "feet":
            if not self.ok(L.LEFT_ANKLE, L.RIGHT_ANKLE):
                return None
            point = self.mid(L.LEFT_ANKLE, L.RIGHT_ANKLE)
        elif name == "beside":
            # On the person's left shoulder, a little outward: where a pirate's parrot sits.
            outward = _unit(self.p(L.LEFT_SHOULDER) - self.p(L.RIGHT_SHOULDER))
            point = self.p(L.LEFT_SHOULDER) + outward * 0.1 * scale
        else:
            return None
        return _Anchor(point[0], point[1], tuple(up))


def _unit(v: np.ndarray) -> np.ndarray:
    n = float(np.linalg.norm(v))
    return v / n if n > 1e-6 else np.array([0.0, -1.0])
