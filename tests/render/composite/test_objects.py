"""The object library drawn: its art rasterised once per size and colour (bounded), recoloured by a
hue shift that keeps alpha and shading, placed where the scene says (one copy, or several "all
around"), and kept through the style stage and a clip recording."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from mirror.render.composite import CompositeRenderer
from mirror.render.composite.props import SpriteCache, load_art, rasterize
from mirror.render.composite.tint import FAMILY_HUE, main_hue, tint
from pose import Landmark
from tests.render.painting import paint
from world import Prop, Scene, layout
from world.layout import AROUND, PIVOT_AT

PURPLE = (130, 60, 200)  # the palette's purple


def scene_of(catalog, *specs: str, style: str | None = None) -> Scene:
    """specs: "kind[:colour][@anchor]"."""
    props = []
    for spec in specs:
        spec, _, anchor = spec.partition("@")
        kind, _, color = spec.partition(":")
        props.append(Prop(kind, anchor or catalog.prop(kind).anchor, color or None))
    return Scene.empty().edit(props=tuple(props), style=style)


def straight(rgba: np.ndarray) -> np.ndarray:
    """Premultiplied sprite → straight alpha, to compare colours."""
    out = rgba.copy()
    a = rgba[..., 3:4].astype(np.float32)
    out[..., :3] = np.clip(rgba[..., :3] * 255.0 / np.maximum(a, 1), 0, 255).astype(np.uint8)
    return out


def hsv(rgb: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2HSV_FULL).astype(np.float32)


# ---- the art ----
def test_every_library_object_has_art_that_rasterises(catalog):
    for entry in catalog.objects.values():
        sprite = rasterize(load_art(entry.asset), None, 24)
        assert sprite.shape[0] == 24 and (sprite[..., 3] > 0).mean() > 0.05, entry.id


@pytest.mark.parametrize("kind", ["t_rex", "cat", "balloon", "pizza", "red_apple"])
def test_a_hue_shift_keeps_the_arts_alpha_and_shading(kind):
    art = load_art(f"objects/{kind}")
    plain, purple = straight(rasterize(art, None, 160)), straight(rasterize(art, PURPLE, 160))
    assert np.array_equal(plain[..., 3], purple[..., 3])  # the outline is the same, pixel for pixel
    opaque = plain[..., 3] == 255
    main_h, _, _ = main_hue(plain)
    before, after = hsv(plain[..., :3]), hsv(purple[..., :3])
    distance = np.minimum(np.abs(before[..., 0] - main_h), 256 - np.abs(before[..., 0] - main_h))
    family = opaque & (distance <= FAMILY_HUE) & (before[..., 1] > 80) & (before[..., 2] > 40)
    assert family.sum() > 200
    # Shading: within the main colour, light and shade keep their ratios (one value factor).
    ratio = after[..., 2][family] / before[..., 2][family]
    assert ratio.std() / ratio.mean() < 0.03
    # Colour: the main colour is now the asked one's hue (its lighter and darker tints around it).
    target_h = hsv(np.uint8([[PURPLE]]))[0, 0, 0]
    turned = abs(main_hue(purple)[0] - target_h)
    assert min(turned, 256 - turned) < 6


def test_colours_far_from_the_main_one_are_left_as_drawn():
    art = load_art("objects/t_rex")
    plain = straight(rasterize(art, None, 160))
    purple = straight(tint(plain, PURPLE))
    dark = (plain[..., 3] == 255) & (hsv(plain[..., :3])[..., 1] < 30) & (plain[..., :3].max(axis=2) < 60)  # its eye
    assert dark.sum() > 5 and np.abs(purple[dark].astype(int) - plain[dark].astype(int)).max() <= 2


def test_a_grey_colour_asked_makes_the_main_colour_grey_with_its_shading():
    plain = straight(rasterize(load_art("objects/t_rex"), None, 160))
    black = straight(tint(plain, (25, 25, 25)))
    main = (plain[..., 3] == 255) & (hsv(plain[..., :3])[..., 1] > 120)
    assert hsv(black[..., :3])[..., 1][main].mean() < 30  # no colour left
    assert hsv(black[..., :3])[..., 2][main].mean() < hsv(plain[..., :3])[..., 2][main].mean()


# ---- the cache ----
def test_art_is_rasterised_once_per_size_and_colour(catalog):
    cache = SpriteCache()
    for _ in range(3):
        cache.get("objects/t_rex", None, 200)
        cache.get("objects/t_rex", None, 196)  # the same size bucket
        cache.get("objects/t_rex", PURPLE, 200)
        cache.get("objects/t_rex", None, 400)
    assert cache.misses == 3


def test_the_sprite_cache_is_bounded_in_sprites_and_in_bytes(catalog):
    kinds = list(catalog.objects)[:40]
    cache = SpriteCache(capacity=8)
    for kind in kinds:
        cache.get(f"objects/{kind}", None, 100)
    assert len(cache) == 8 and cache.misses == 40
    cache.get(f"objects/{kinds[-1]}", None, 100)  # the newest stays
    assert cache.misses == 40
    small = SpriteCache(max_bytes=1 << 20)
    for kind in kinds:
        small.get(f"objects/{kind}", None, 300)  # ~360 kB a sprite
    assert small.bytes <= 1 << 20 and len(small) >= 1


# ---- where it is drawn ----
def synthetic_body() -> np.ndarray:
    """A person standing in the middle of a 640×480 frame, everything visible."""
    lm = np.zeros((33, 3), np.float32)
    lm[:, 2] = 1.0
    points = {Landmark.LEFT_SHOULDER: (380, 250), Landmark.RIGHT_SHOULDER: (260, 250),
              Landmark.LEFT_EYE: (335, 150), Landmark.RIGHT_EYE: (305, 150), Landmark.MOUTH_LEFT: (330, 190),
              Landmark.MOUTH_RIGHT: (310, 190), Landmark.LEFT_HIP: (360, 420), Landmark.RIGHT_HIP: (280, 420),
              Landmark.LEFT_ELBOW: (410, 340), Landmark.RIGHT_ELBOW: (230, 340), Landmark.LEFT_WRIST: (420, 420),
              Landmark.RIGHT_WRIST: (220, 420)}
    for index, xy in points.items():
        lm[index, :2] = xy
    lm[[Landmark.LEFT_INDEX, Landmark.LEFT_PINKY, Landmark.RIGHT_INDEX, Landmark.RIGHT_PINKY,
        Landmark.LEFT_ANKLE, Landmark.RIGHT_ANKLE], 2] = 0.0  # hands as wrists; feet out of the picture
    return lm


@pytest.mark.parametrize("anchor", sorted(PIVOT_AT))
def test_a_library_object_is_placed_at_every_anchor_with_the_anchors_pivot(catalog, anchor):
    placements = layout(scene_of(catalog, f"cat@{anchor}"), catalog, synthetic_body(), 640, 480)
    copies = len(AROUND) if anchor == "around" else 1
    assert len(placements) == copies and {p.copy for p in placements} == set(range(copies))
    for p in placements:
        assert p.pivot == PIVOT_AT[anchor] and p.asset == "objects/cat"
        assert p.layer == ("behind" if anchor in ("behind", "around", "back") else "front")
        assert 0 <= p.x <= 640 and 0 <= p.y <= 480 and 0 < p.height_px <= 0.8 * 480


def test_a_thing_beside_the_person_stands_on_the_side_with_room(catalog):
    body = synthetic_body()
    body[:, 0] -= 150  # the person steps to the left of the picture
    (p,) = layout(scene_of(catalog, "t_rex"), catalog, body, 640, 480)
    assert p.x > max(body[Landmark.LEFT_SHOULDER, 0], body[Landmark.RIGHT_SHOULDER, 0])
    assert p.x + p.height_px / 2 <= 640  # all of it in the picture


def test_a_prop_moved_off_its_categorys_place_takes_that_places_size(catalog):
    body = synthetic_body()
    (beside,) = layout(scene_of(catalog, "t_rex"), catalog, body, 640, 480)
    (on_head,) = layout(scene_of(catalog, "t_rex@head"), catalog, body, 640, 480)
    assert on_head.height_px < 0.6 * beside.height_px


# ---- drawn, under a style, recorded ----
def mean_hue(image: np.ndarray, mask: np.ndarray) -> float:
    h = hsv(image)[..., 0][mask] * (2 * np.pi / 256)
    return float(np.angle(np.mean(np.exp(1j * h))) * 256 / (2 * np.pi) % 256)


def test_a_purple_dinosaur_stays_purple_under_a_painted_style(catalog, still):
    drawn, painted, coverage = paint(catalog, still, scene_of(catalog, "t_rex:purple", style="van_gogh"))
    dinosaur = (coverage > 200) & (hsv(drawn)[..., 1] > 100)
    assert dinosaur.sum() > 2000
    purple = hsv(np.uint8([[PURPLE]]))[0, 0, 0]
    for image in (drawn, painted):
        hue = mean_hue(image, dinosaur)
        assert min(abs(hue - purple), 256 - abs(hue - purple)) < 12, hue


def test_a_thing_behind_the_person_keeps_its_colour_only_where_it_shows(catalog, still):
    image, pose = still
    _, _, coverage = paint(catalog, still, scene_of(catalog, "rainbow@behind", style="van_gogh"))
    person = pose.matte > 0.9
    assert (coverage > 128).sum() > 2000  # the rainbow around the person
    assert np.percentile(coverage[person], 99) < 40  # not over the person in front of it


def test_a_library_object_is_in_the_recorded_clip(catalog, still, tmp_path):
    import av

    from mirror.clips.recorder import ClipRecorder
    from tests.clip_media import audio_frame

    image, pose = still
    renderer = CompositeRenderer(catalog, clock=lambda: 1.5, smoothing=False)
    drawn = renderer.render(image, pose, scene_of(catalog, "t_rex:purple"))
    dinosaur = (np.abs(drawn.astype(int) - image.astype(int)).max(axis=2) > 60) & (hsv(drawn)[..., 1] > 100)
    assert dinosaur.sum() > 2000
    results = []
    recorder = ClipRecorder(tmp_path / "clip.mp4", on_done=results.append)
    for n in range(30):  # a second of the output frames, as the output track hands them over
        recorder.add_video(av.VideoFrame.from_ndarray(drawn, format="rgb24").reformat(format="yuv420p"),
                           recorder.started_at + n / 30)
        recorder.add_audio(audio_frame(n), recorder.started_at + n / 30)
    recorder.stop()
    recorder.join(timeout=20)
    (result,) = results
    assert result.error is None
    with av.open(str(result.path)) as container:
        last = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)][-1]
    purple = hsv(np.uint8([[PURPLE]]))[0, 0, 0]
    hue = mean_hue(last, dinosaur)
    assert min(abs(hue - purple), 256 - abs(hue - purple)) < 15, hue
