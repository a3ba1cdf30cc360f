"""Where each prop goes on the body in one frame: scene + keypoints → placements to draw.

Pure numpy on plain data (the 33 MediaPipe landmarks as a (33, 3) array of x_px, y_px,
visibility); the landmark indices are pose/'s (`pose.landmarks.Landmark`, plain data, no media
library). Conventions for a Placement:
- the artwork's pivot (e.g. a sword's grip) goes at (x, y) in pixels;
- its "up" axis is rotated `angle_deg` clockwise from image-up (image y grows downward);
- it is drawn `height_px` tall; `layer` says in front of or behind the person.
Temporal smoothing is the renderer's job; a prop whose anchor is not visible is left out.
A library object (world/objects.py) has no pivot of its own (its art is a centred square): it
carries the anchor's (PIVOT_AT), and "around" gives several placements of one prop (`copy`).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from pose.landmarks import Landmark as L
from world.objects import BEHIND, size_at

if TYPE_CHECKING:
    from world.catalog import Catalog
    from world.scene import Scene

VISIBLE = 0.5
# Where a library object's square art is held at each anchor, as fractions (u → right, v → down):
# its bottom edge sits on a head, a shoulder or the floor; a held thing is gripped low; a garment
# hangs from its top edge.
PIVOT_AT = {"right_hand": (0.5, 0.7), "left_hand": (0.5, 0.7), "head": (0.5, 0.88), "face": (0.5, 0.45),
            "neck": (0.5, 0.2), "shoulders": (0.5, 0.1), "waist": (0.5, 0.15), "feet": (0.5, 0.9),
            "back": (0.5, 0.5), "beside": (0.5, 0.92), "next_to": (0.5, 0.95), "behind": (0.5, 0.5),
            "around": (0.5, 0.5)}
# "All around me": copies at these spots of the frame (fractions of its width and height), each
# with its own size and tilt, so they look scattered; they are behind the person, who hides those
# that fall on them.
AROUND = ((0.1, 0.16, 1.0, -12.0), (0.88, 0.13, 0.85, 10.0), (0.07, 0.62, 0.9, 8.0), (0.92, 0.66, 1.1, -6.0),
          (0.5, 0.07, 0.8, 14.0), (0.3, 0.9, 0.75, -8.0), (0.72, 0.92, 0.8, 6.0))
# A library object is never drawn taller than this share of the frame: a close camera makes the
# shoulders wide, and a T-Rex 1.9 shoulder widths tall would leave the picture.
MAX_FRAME_SHARE = 0.8


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
    pivot: tuple[float, float] | None = None  # (u, v) of the art at (x, y); None: the art's own
    copy: int = 0  # which of a prop's copies ("all around me" draws several)


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
        entry = catalog.prop(prop.kind)
        if entry is None:
            continue
        spots = (body.around(width, height) if prop.anchor == "around"
                 else [(body.anchor(prop.anchor, scale, (width, height)), 1.0)])
        if entry.library:
            layer, pivot = ("behind" if prop.anchor in BEHIND else "front"), PIVOT_AT.get(prop.anchor)
        else:
            layer, pivot = ("behind" if prop.anchor in ("behind", "around") else entry.layer), None
        drawn = scale * size_at(entry, prop.anchor) * prop.scale
        if entry.library:
            drawn = min(drawn, MAX_FRAME_SHARE * height)
        for copy, (anchor, size) in enumerate(spots):
            if anchor is None:
                continue
            if prop.anchor == "next_to":
                # Beside the person, but in the picture: a close camera leaves little room.
                half = drawn / 2
                anchor = _Anchor(min(max(anchor.x, half), max(half, width - half)), anchor.y, anchor.up)
            placements.append(Placement(
                prop_index=index, kind=prop.kind, asset=entry.asset, color_rgb=catalog.color_rgb(prop.color),
                x=anchor.x, y=anchor.y, angle_deg=math.degrees(math.atan2(anchor.up[0], -anchor.up[1])),
                height_px=drawn * size, layer=layer, pivot=pivot, copy=copy,
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

    def anchor(self, name: str, scale: float, frame: tuple[int, int]) -> _Anchor | None:
        """Where `name` is on this body; `frame`: the picture's (width, height), for the anchors
        beside the person, which must stay in it."""
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
            if self.ok(L.LEFT_ANKLE, L.RIGHT_ANKLE):
                point = self.mid(L.LEFT_ANKLE, L.RIGHT_ANKLE)
            else:
                # Feet out of the picture (a laptop's camera): at its bottom edge, under the person.
                point = np.array([shoulders[0], float(frame[1])])
        elif name == "beside":
            # On the person's left shoulder, a little outward: where a pirate's parrot sits.
            outward = _unit(self.p(L.LEFT_SHOULDER) - self.p(L.RIGHT_SHOULDER))
            point = self.p(L.LEFT_SHOULDER) + outward * 0.1 * scale
        elif name == "next_to":
            # Standing on the side of the person with more room in the picture, its feet at the hips
            # (a laptop's camera rarely sees the floor), upright whatever the torso does.
            left, right = sorted((self.p(L.LEFT_SHOULDER)[0], self.p(L.RIGHT_SHOULDER)[0]))
            x = left - scale if left > frame[0] - right else right + scale
            hips = self.mid(L.LEFT_HIP, L.RIGHT_HIP) if self.ok(L.LEFT_HIP, L.RIGHT_HIP) else shoulders - up * 1.4 * scale
            return _Anchor(x, min(hips[1], frame[1]), (0.0, -1.0))
        elif name == "behind":
            # Behind the head and shoulders, upright: a backdrop of one thing.
            point = shoulders + up * 0.5 * scale
            return _Anchor(point[0], point[1], (0.0, -1.0))
        else:
            return None
        return _Anchor(point[0], point[1], tuple(up))

    def around(self, width: int, height: int) -> list[tuple[_Anchor | None, float]]:
        """The scattered copies' anchors and relative sizes."""
        out = []
        for fx, fy, size, tilt in AROUND:
            a = math.radians(tilt)
            out.append((_Anchor(fx * width, fy * height, (math.sin(a), -math.cos(a))), size))
        return out


def _unit(v: np.ndarray) -> np.ndarray:
    n = float(np.linalg.norm(v))
    return v / n if n > 1e-6 else np.array([0.0, -1.0])
