"""Several workers on one clips folder: each opens its own ClipStore on it, as workers behind a
balancer do on a shared volume. Real SQLite, real files, real processes where the question is what
two processes do at once."""
from __future__ import annotations

import multiprocessing
import os
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from mirror.clips.store import INDEX_NAME, ClipStore

ADDS_PER_WORKER = 40
HOUR = 3600.0


def open_store(folder: Path, **kw) -> ClipStore:
    return ClipStore(folder, retention_s=kw.pop("retention_s", HOUR), quota_bytes=kw.pop("quota_bytes", 10**9), **kw)


def add_clip(store: ClipStore, size: int = 1000) -> tuple[str, str]:
    clip_id, secret = store.new_id(), store.new_secret()
    store.video_path(clip_id).write_bytes(b"\0" * size)
    store.add(clip_id, secret, duration_s=1.0, width=640, height=480, thumbnail=None)
    return clip_id, secret


# ---- in other processes (spawned: nothing shared with the test but the folder) ----
def _worker_adds(folder: str, start, results) -> None:
    store = open_store(Path(folder))
    start.wait()
    results.put([add_clip(store)[0] for _ in range(ADDS_PER_WORKER)])


def _worker_prunes(folder: str, quota_bytes: int, start, results) -> None:
    store = open_store(Path(folder), quota_bytes=quota_bytes)
    start.wait()
    results.put(store.prune())


def in_two_workers(target, *args) -> list:
    """Run `target(*args, start, results)` in two processes released together; their results."""
    context = multiprocessing.get_context("spawn")
    start, results = context.Barrier(2), context.Queue()
    workers = [context.Process(target=target, args=(*args, start, results)) for _ in range(2)]
    for w in workers:
        w.start()
    try:
        got = [results.get(timeout=60) for _ in workers]  # a hang detector
    finally:
        for w in workers:
            w.join(timeout=30)
    assert [w.exitcode for w in workers] == [0, 0]
    return got


# ---- tests ----
def test_a_clip_made_by_one_worker_is_found_owned_and_deleted_through_another(tmp_path):
    a, b = open_store(tmp_path), open_store(tmp_path)
    clip_id, secret = add_clip(a)
    assert b.get(clip_id) is not None and [c.id for c in b.list()] == [clip_id]
    assert b.owns(clip_id, secret) and b.video_path(clip_id) == a.video_path(clip_id)
    assert b.delete(clip_id)
    assert a.get(clip_id) is None and not a.video_path(clip_id).exists()


def test_the_index_is_in_wal_mode_with_a_busy_timeout_or_in_rollback_mode_for_a_network_volume(tmp_path):
    open_store(tmp_path / "one-host")
    open_store(tmp_path / "network", journal="delete")
    for folder, mode in (("one-host", "wal"), ("network", "delete")):
        with sqlite3.connect(tmp_path / folder / INDEX_NAME) as db:
            assert db.execute("PRAGMA journal_mode").fetchone()[0] == mode


def test_a_worker_asking_for_another_journal_while_the_index_is_in_use_is_refused(tmp_path):
    open_store(tmp_path)
    reader = sqlite3.connect(tmp_path / INDEX_NAME)
    try:
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM clips").fetchone()  # another worker mid-read
        with pytest.raises(RuntimeError, match="MIRROR_CLIP_JOURNAL"):
            open_store(tmp_path, journal="delete", busy_timeout_s=0.5)
    finally:
        reader.close()


def test_two_workers_adding_at_once_lose_nothing(tmp_path):
    made = in_two_workers(_worker_adds, str(tmp_path))
    ids = [clip_id for batch in made for clip_id in batch]
    assert len(ids) == len(set(ids)) == 2 * ADDS_PER_WORKER  # unique across workers
    assert sorted(c.id for c in open_store(tmp_path).list()) == sorted(ids)


def test_two_stores_in_one_process_adding_from_threads_lose_nothing(tmp_path):
    stores = [open_store(tmp_path), open_store(tmp_path)]
    made: list[str] = []
    start = threading.Barrier(4)

    def adds(store: ClipStore) -> None:
        start.wait()
        made.extend(add_clip(store)[0] for _ in range(ADDS_PER_WORKER // 2))

    threads = [threading.Thread(target=adds, args=(stores[i % 2],)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(made) == 2 * ADDS_PER_WORKER
    assert sorted(c.id for c in stores[1].list()) == sorted(made)


def test_an_id_taken_by_one_worker_is_refused_to_another_not_overwritten(tmp_path):
    a, b = open_store(tmp_path), open_store(tmp_path)
    clip_id, secret = add_clip(a)
    with pytest.raises(sqlite3.IntegrityError):
        b.add(clip_id, "someone else's", duration_s=1.0, width=640, height=480, thumbnail=None)
    assert a.owns(clip_id, secret) and not a.owns(clip_id, "someone else's")


def test_two_workers_pruning_at_once_delete_each_clip_once_and_no_more_than_the_quota_asks(tmp_path):
    writer = open_store(tmp_path, clock=iter(range(int(time.time()), 2 * int(time.time()))).__next__)  # oldest first
    ids = [add_clip(writer, size=1000)[0] for _ in range(20)]
    deleted = in_two_workers(_worker_prunes, str(tmp_path), 10_500)
    both = deleted[0] + deleted[1]
    assert sorted(both) == sorted(ids[:10]) and len(both) == len(set(both))  # each once, the oldest
    assert sorted(c.id for c in open_store(tmp_path).list()) == sorted(ids[10:])
    assert all(writer.video_path(i).exists() for i in ids[10:])


def test_age_retention_from_two_workers_at_once_deletes_each_old_clip_once(tmp_path):
    writer = open_store(tmp_path, clock=lambda: time.time() - 2 * HOUR)
    old = [add_clip(writer)[0] for _ in range(10)]
    young = [add_clip(open_store(tmp_path))[0] for _ in range(5)]
    deleted = in_two_workers(_worker_prunes, str(tmp_path), 10**9)
    assert sorted(deleted[0] + deleted[1]) == sorted(old)
    assert sorted(c.id for c in open_store(tmp_path).list()) == sorted(young)


def test_what_another_worker_is_writing_now_is_no_leftover(tmp_path):
    a, b = open_store(tmp_path), open_store(tmp_path)
    being_recorded = b.new_id()  # B's recorder is writing it…
    (tmp_path / f"{being_recorded}.mp4.part").write_bytes(b"half")
    just_renamed = b.new_id()  # …and B renamed this one into place a moment ago, its row not yet written
    b.video_path(just_renamed).write_bytes(b"whole")
    crashed = b.new_id()  # a recording of a worker that died ten minutes ago
    (tmp_path / f"{crashed}.mp4.part").write_bytes(b"half")
    then = time.time() - a.leftover_grace_s - 1
    os.utime(tmp_path / f"{crashed}.mp4.part", (then, then))
    a.prune()  # A knows nothing of B's recordings
    assert (tmp_path / f"{being_recorded}.mp4.part").exists() and b.video_path(just_renamed).exists()
    assert not (tmp_path / f"{crashed}.mp4.part").exists()
