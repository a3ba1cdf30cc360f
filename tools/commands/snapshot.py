"""`mirror snapshot`: render a scene over a photo into a PNG, and the README gallery.

    mirror snapshot --scene scene.json out.png
    mirror snapshot --theme ice_palace --prop sword:blue --prop crown --style comic out.png
    mirror snapshot --prop t_rex --prop jack_o_lantern@head --prop balloon:purple@around out.png
    mirror snapshot --gallery docs/gallery            # every theme, some props, the 8 filter styles
    mirror snapshot --gallery docs/gallery --only objects   # the object library's pictures alone

The photo (default: the astronaut) is fitted into a 640×480 camera frame, MediaPipe finds the
pose and matte, and the composite renderer draws one frame (props placed exactly, no smoothing).
"""
from __future__ import annotations

import argparse
import itertools
import logging
from pathlib import Path

import cv2
import numpy as np

log = logging.getLogger(__name__)

GALLERY_PROPS = {  # per theme: the props that suit it, so each picture shows a scene, not a backdrop
    "game_of_thrones": ["sword", "crown", "cape"],
    "ice_palace": ["crown", "magic_staff"],
    "outer_space": ["lightsaber", "helmet"],
    "underwater": ["parrot"],
    "jungle": ["parrot", "flower"],
    "cyberpunk": ["sunglasses", "lightsaber"],
    "desert": ["sunglasses", "umbrella"],
    "beach": ["sunglasses", "flower"],
    "volcano": ["horns", "torch"],
    "haunted_house": ["wizard_hat", "wand"],
    "candy_land": ["cat_ears", "wand"],
    "snowy_forest": ["scarf", "top_hat"],
}
GALLERY_PROP_SHOTS = [
    ("sword_blue", ["sword:blue", "shield"]),
    ("wizard", ["wizard_hat", "magic_staff"]),
    ("angel", ["halo", "wings"]),
    ("party", ["top_hat", "bow_tie", "guitar"]),
    ("masquerade", ["mask", "necklace"]),
    ("knight", ["helmet", "cape:red", "sword"]),
]
# The object library on the body (world/objects.py): "kind[:colour][@anchor]", as --prop takes them.
GALLERY_OBJECT_SHOTS = [
    ("dinosaur", ["t_rex", "pizza", "balloon@around"]),
    ("purple_dinosaur", ["t_rex:purple", "ice_cream"]),
    ("pets", ["cat", "dog"]),
    ("outdoors", ["palm_tree@behind", "sunflower", "butterfly@around"]),
    ("party", ["balloon:red@around", "birthday_cake", "party_popper@left_hand"]),
    ("music", ["violin", "musical_notes"]),
]
GALLERY_STYLES = ["anime", "comic", "oil_painting", "pencil_sketch", "pixel_art", "watercolor", "neon", "film_noir"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("out", nargs="?", help="output PNG (or use --gallery DIR)")
    parser.add_argument("--scene", type=Path, help="scene JSON (as written by `mirror command`)")
    parser.add_argument("--photo", type=Path, help="photo of a person (default: the astronaut)")
    parser.add_argument("--theme", help="theme id (overrides the scene's)")
    parser.add_argument("--style", help="style id (overrides the scene's); the composite filter is used")
    parser.add_argument("--strength", type=float, help="style strength 0..1")
    parser.add_argument("--prop", action="append", default=[], help="prop id[:colour], repeatable (adds to the scene)")
    parser.add_argument("--width", type=int, default=0, help="resize the PNG to this width (0 = 640)")
    parser.add_argument("--gallery", type=Path, help="write the README gallery into this folder")
    parser.add_argument("--only", choices=("objects",), help="with --gallery: only the object library's pictures")


def run(args: argparse.Namespace) -> int:
    from world import Catalog, Prop, Scene

    catalog = Catalog.load()
    photo = _load_photo(args.photo)
    snapshot = Snapshotter(catalog, photo)
    if args.gallery:
        written = write_gallery(snapshot, catalog, args.gallery, width=args.width or 320, only=args.only)
        for path in written:
            print(path)
        return 0
    if not args.out:
        print("mirror snapshot: give an output PNG path or --gallery DIR")
        return 2
    scene = Scene.from_json(args.scene.read_text()) if args.scene else Scene.empty()
    changes = {}
    if args.theme:
        changes["theme"] = None if args.theme == "none" else args.theme
    if args.style:
        changes["style"] = None if args.style == "none" else args.style
    if args.strength is not None:
        changes["style_strength"] = args.strength
    if args.prop:
        changes["props"] = tuple(scene.props) + tuple(_prop(catalog, spec) for spec in args.prop)
    if changes:
        scene = scene.edit(**changes)
    image = snapshot.render(scene)
    save_png(image, Path(args.out), args.width)
    print(args.out)
    return 0


def _prop(catalog, spec: str):
    """A prop from "kind[:colour][@anchor]": a hand-made prop or a library object."""
    from world import Prop
    from world.catalog import ANCHORS

    spec, _, anchor = spec.partition("@")
    kind, _, color = spec.partition(":")
    entry = catalog.prop(kind)
    if entry is None:
        raise SystemExit(f"unknown prop {kind!r}: choose from {', '.join(sorted(catalog.props))} "
                         f"or one of the {len(catalog.objects)} library objects (world/catalog/objects.json)")
    if color and catalog.color_rgb(color) is None:
        raise SystemExit(f"unknown colour {color!r}: choose from {', '.join(sorted(catalog.colors))}")
    if anchor and anchor not in ANCHORS:
        raise SystemExit(f"unknown anchor {anchor!r}: choose from {', '.join(ANCHORS)}")
    return Prop(kind=kind, anchor=anchor or entry.anchor, color=color or None)


def _load_photo(path: Path | None) -> np.ndarray:
    if path is None:
        from tools.testclip import astronaut

        return np.array(astronaut())
    bgr = cv2.imread(str(path))
    if bgr is None:
        raise SystemExit(f"cannot read photo {path}")
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def fit_frame(photo: np.ndarray, width: int = 640, height: int = 480) -> np.ndarray:
    """The photo scaled to the frame height (or width), centred on a grey wall."""
    from tools.testclip import WALL_RGB

    ph, pw = photo.shape[:2]
    scale = min(width / pw, height / ph)
    resized = cv2.resize(photo, (int(pw * scale), int(ph * scale)), interpolation=cv2.INTER_AREA)
    frame = np.full((height, width, 3), WALL_RGB, np.uint8)
    y0, x0 = (height - resized.shape[0]) // 2, (width - resized.shape[1]) // 2
    frame[y0:y0 + resized.shape[0], x0:x0 + resized.shape[1]] = resized
    return frame


class Snapshotter:
    """Pose once per photo, then one composite render per scene."""

    def __init__(self, catalog, photo: np.ndarray) -> None:
        from pose.estimator import PoseEstimator

        self.catalog = catalog
        self.frame = fit_frame(photo)
        estimator = PoseEstimator(smoothing=False)
        try:
            # A few frames let the tracker settle on the still photo (the first is a detection).
            for i in range(3):
                self.pose = estimator.estimate(self.frame, i / 30.0)
        finally:
            estimator.close()
        from mirror.render.registry import StagePlan
        from mirror.server.settings import Settings

        # The same start-up decision the server makes: the neural repaint only where it can run here.
        settings = Settings.load()
        plan = StagePlan.decide(settings.replace(stages=("composite", "neural")))
        for notice in plan.notices:
            log.warning(notice)
        self.neural = "neural" in plan.stages
        self._settings = settings

    def render(self, scene, *, neural: bool = True) -> np.ndarray:
        """The composite, then the neural repaint where the style has a preset (unless neural=False:
        the composite's own filter then draws every style)."""
        from mirror.render.composite import CompositeRenderer
        from mirror.render.neural import NeuralRepaint
        from mirror.render.stage import NEURAL_STYLE

        neural = neural and self.neural
        # Fresh each time: no crossfade from the previous scene, props placed exactly.
        renderer = CompositeRenderer(self.catalog, provided=frozenset({NEURAL_STYLE}) if neural else frozenset(),
                                     clock=lambda: 1.5, smoothing=False)
        try:
            image = renderer.render(self.frame, self.pose, scene)
        finally:
            renderer.close()
        if neural:
            # A clock a second ahead per call: the style's fade-in is over by the second call.
            repaint = NeuralRepaint(self._settings, self.catalog, clock=itertools.count().__next__)
            repaint.render(image, self.pose, scene)
            image = repaint.render(image, self.pose, scene)
        return image


def save_png(image: np.ndarray, path: Path, width: int = 0) -> None:
    from PIL import Image

    if width and width != image.shape[1]:
        height = round(image.shape[0] * width / image.shape[1])
        image = cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA)
    path.parent.mkdir(parents=True, exist_ok=True)
    picture = Image.fromarray(image)
    if width:  # gallery pictures: a 256-colour palette keeps them ~3× smaller in the repo
        picture = picture.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    picture.save(path, optimize=True)


def write_gallery(snapshot: Snapshotter, catalog, folder: Path, width: int = 320, only: str | None = None) -> list[Path]:
    from world import Scene

    written: list[Path] = []

    def shot(name: str, neural: bool = True, **changes) -> None:
        path = folder / f"{name}.png"
        save_png(snapshot.render(Scene.empty().edit(**changes), neural=neural), path, width)
        written.append(path)

    for name, specs in GALLERY_OBJECT_SHOTS:
        shot(f"objects_{name}", props=tuple(_prop(catalog, s) for s in specs))
    if snapshot.neural:
        shot("objects_neural_van_gogh", style="van_gogh",
             props=tuple(_prop(catalog, s) for s in ("t_rex:purple", "balloon:blue@around", "pizza")))
    if only == "objects":
        return written
    shot("camera")
    for theme in catalog.themes:
        props = [p for p in GALLERY_PROPS.get(theme, []) if p in catalog.props]
        shot(f"theme_{theme}", theme=theme, props=tuple(_prop(catalog, p) for p in props))
    for name, specs in GALLERY_PROP_SHOTS:
        shot(f"props_{name}", props=tuple(_prop(catalog, s) for s in specs))
    for style in GALLERY_STYLES:
        if style in catalog.styles:
            shot(f"style_{style}", neural=False, style=style, theme="outer_space" if style == "neon" else None,
                 props=(_prop(catalog, "crown"),))
    if snapshot.neural:
        for style in (s for s in catalog.styles.values() if s.neural):
            shot(f"scene_neural_{style.id}", style=style.id, theme="game_of_thrones",
                 props=(_prop(catalog, "crown"), _prop(catalog, "sword")))
    return written
