"""Clips over HTTP: a phone page, Range for players, deletion by owner or operator, and 404 for any
name the server did not make."""
from __future__ import annotations

import numpy as np
import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from mirror.clips.store import ClipStore
from web.clips import clip_routes

TOKEN = "operator-secret"


@pytest.fixture
def store(tmp_path):
    return ClipStore(tmp_path / "clips", retention_s=3600, quota_bytes=10**9)


@pytest.fixture
def client(store):
    app = Starlette(routes=clip_routes(lambda request: store,
                                       lambda r: r.headers.get("authorization") == f"Bearer {TOKEN}"))
    with TestClient(app) as client:
        yield client


@pytest.fixture
def clip(store):
    clip_id, secret = store.new_id(), store.new_secret()
    store.video_path(clip_id).write_bytes(bytes(range(256)) * 40)
    store.add(clip_id, secret, duration_s=3.0, width=640, height=480, thumbnail=np.zeros((48, 64, 3), np.uint8))
    return clip_id, secret


def test_the_clip_page_plays_the_video_and_offers_a_download(client, clip):
    clip_id, _ = clip
    page = client.get(f"/c/{clip_id}")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert f'src="/clips/{clip_id}.mp4"' in page.text and "download=" in page.text and "playsinline" in page.text


def test_the_video_is_served_with_http_range_for_phone_players(client, clip):
    clip_id, _ = clip
    whole = client.get(f"/clips/{clip_id}.mp4")
    assert whole.status_code == 200 and whole.headers["content-type"] == "video/mp4"
    part = client.get(f"/clips/{clip_id}.mp4", headers={"Range": "bytes=256-511"})
    assert part.status_code == 206 and part.content == bytes(range(256))
    assert client.get(f"/clips/{clip_id}.jpg").headers["content-type"] == "image/jpeg"


@pytest.mark.parametrize("path", [
    "/clips/..%2F..%2Fetc%2Fpasswd.mp4",
    "/clips/%2e%2e%2fclips.sqlite3",
    "/clips/../clips/clips.sqlite3",
    "/c/..%2Fclips.sqlite3",
    "/clips/" + "A" * 300 + ".mp4",
    "/clips/AAAAAAAAAAAAAAAAAAAAAA.mp4",  # well-formed, unknown
    "/clips/clips.sqlite3",
    "/c/AAAAAAAAAAAAAAAAAAAAAA",
])
def test_unknown_malformed_or_traversing_names_are_404(client, clip, path):
    response = client.get(path)
    assert response.status_code in (404, 405) and b"SQLite" not in response.content
    if response.status_code == 405:  # /clips/<name> without a suffix is only a DELETE route
        assert client.delete(path, headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 404


def test_the_list_needs_the_operator_token(client, clip):
    assert client.get("/clips").status_code == 403
    assert client.get("/clips", headers={"Authorization": "Bearer wrong"}).status_code == 403
    listing = client.get("/clips", headers={"Authorization": f"Bearer {TOKEN}"}).json()
    assert [c["id"] for c in listing["clips"]] == [clip[0]] and listing["disk_bytes"] > 0


def test_a_session_deletes_its_own_clip_but_not_another_ones(client, store, clip):
    clip_id, secret = clip
    other_id, other_secret = store.new_id(), store.new_secret()
    store.video_path(other_id).write_bytes(b"x")
    store.add(other_id, other_secret, duration_s=1, width=2, height=2, thumbnail=None)
    assert client.delete(f"/clips/{other_id}", headers={"X-Clip-Secret": secret}).status_code == 403
    assert client.delete(f"/clips/{other_id}").status_code == 403
    assert client.delete(f"/clips/{clip_id}", headers={"X-Clip-Secret": secret}).status_code == 200
    assert client.get(f"/clips/{clip_id}.mp4").status_code == 404
    assert client.delete(f"/clips/{other_id}", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200


def test_the_qr_code_opens_the_clip_page_at_the_address_the_page_was_loaded_from(client, clip):
    clip_id, _ = clip
    svg = client.get(f"/clips/{clip_id}/qr.svg", headers={"Host": "mirror.local:8443"})
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert decode_qr_svg(svg.content) == f"http://mirror.local:8443/c/{clip_id}"


def decode_qr_svg(svg: bytes) -> str:
    """Rasterise the SVG (resvg, as the props are drawn) and read it with OpenCV's QR detector."""
    import cv2
    import numpy as np
    import resvg_py

    png = bytes(resvg_py.svg_to_bytes(svg_string=svg.decode(), width=400, height=400, skip_system_fonts=True))
    image = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR)
    text, _, _ = cv2.QRCodeDetector().detectAndDecode(image)
    return text
