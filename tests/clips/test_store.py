"""The clips folder: retention by age and by quota, crash leftovers cleared, ids only the server made."""
from __future__ import annotations

import os
import time

import numpy as np
import pytest

from mirror.clips.store import ClipStore


class Clock:
    def __init__(self):
        self.now = 1_000_000.0

    def __call__(self):
        return self.now


def make_clip(store, size=1000, thumbnail=True):
    clip_id, secret = store.new_id(), store.new_secret()
    store.video_path(clip_id).write_bytes(b"\0" * size)
    store.add(clip_id, secret, duration_s=2.0, width=640, height=480,
              thumbnail=np.zeros((48, 64, 3), np.uint8) if thumbnail else None)
    return clip_id, secret


@pytest.fixture
def clock():
    return Clock()


def test_ids_are_128_bit_url_safe_and_never_repeat():
    ids = {ClipStore.new_id() for _ in range(1000)}
    assert len(ids) == 1000 and all(ClipStore.valid_id(i) and len(i) == 22 for i in ids)


@pytest.mark.parametrize("bad", ["../clips", "..%2F..%2Fetc%2Fpasswd", "a" * 23, "a" * 21, "", "abc/def", "x" * 500])
def test_anything_but_a_server_made_id_names_no_file(tmp_path, bad):
    store = ClipStore(tmp_path, retention_s=60, quota_bytes=10**9)
    assert store.get(bad) is None and not store.delete(bad) and not store.owns(bad, "s")
    with pytest.raises(ValueError):
        store.video_path(bad)


def test_a_clip_is_listed_with_its_metadata_and_thumbnail(tmp_path, clock):
    store = ClipStore(tmp_path, retention_s=60, quota_bytes=10**9, clock=clock)
    clip_id, _ = make_clip(store, size=1234)
    (clip,) = store.list()
    assert (clip.id, clip.size_bytes, clip.width, clip.created_at) == (clip_id, 1234, 640, clock.now)
    assert store.thumbnail_path(clip_id).read_bytes()[:2] == b"\xff\xd8"  # a JPEG


def test_only_the_secret_given_to_the_recording_session_owns_a_clip(tmp_path):
    store = ClipStore(tmp_path, retention_s=60, quota_bytes=10**9)
    mine, secret = make_clip(store)
    theirs, _ = make_clip(store)
    assert store.owns(mine, secret) and not store.owns(theirs, secret) and not store.owns(mine, "guess")


def test_retention_deletes_clips_older_than_the_limit(tmp_path, clock):
    store = ClipStore(tmp_path, retention_s=3600, quota_bytes=10**9, clock=clock)
    old, _ = make_clip(store)
    clock.now += 3000
    young, _ = make_clip(store)
    clock.now += 601
    assert store.prune() == [old]
    assert [c.id for c in store.list()] == [young]
    assert not store.video_path(old).exists() and not store.thumbnail_path(old).exists()


def test_the_quota_deletes_the_oldest_clips_first(tmp_path, clock):
    store = ClipStore(tmp_path, retention_s=10**9, quota_bytes=2500, clock=clock)
    ids = []
    for _ in range(4):
        ids.append(make_clip(store, size=1000)[0])
        clock.now += 1
    assert store.prune() == ids[:2]
    assert sorted(c.id for c in store.list()) == sorted(ids[2:])


def untouched_for(path, seconds):
    then = time.time() - seconds
    os.utime(path, (then, then))


def test_crash_leftovers_go_but_a_recording_in_progress_stays(tmp_path):
    store = ClipStore(tmp_path, retention_s=60, quota_bytes=10**9, leftover_grace_s=600)
    kept, _ = make_clip(store)
    crashed, recording = store.new_id(), store.new_id()
    (tmp_path / f"{crashed}.mp4.part").write_bytes(b"half")
    (tmp_path / f"{recording}.mp4.part").write_bytes(b"half")
    stray = store.new_id()
    store.video_path(stray).write_bytes(b"no row")
    for leftover in (f"{crashed}.mp4.part", f"{recording}.mp4.part", f"{stray}.mp4"):
        untouched_for(tmp_path / leftover, 601)
    vanished, _ = make_clip(store)
    store.video_path(vanished).unlink()
    store.prune(recording={recording})
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("clips.sqlite3")) == sorted(
        [f"{kept}.mp4", f"{kept}.jpg", f"{recording}.mp4.part"])
    assert [c.id for c in store.list()] == [kept]
