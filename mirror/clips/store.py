"""The clips folder: finished MP4s and their thumbnails, with their metadata in SQLite beside them.

    store = ClipStore(folder, retention_s=24 * 3600, quota_bytes=2 << 30)
    clip_id, secret = store.new_id(), store.new_secret()
    … the recorder writes store.video_path(clip_id) …
    store.add(clip_id, secret, duration_s=…, width=…, height=…, thumbnail=rgb)
    store.get(clip_id) / store.delete(clip_id, secret=…) / store.prune()

Ids are 128-bit random and url-safe; every path is built from an id the server made and checked
against ID_PATTERN, so nothing a client sends can name a file outside the folder. A clip's owner
(the session that recorded it) holds a secret; only its hash is stored. Retention deletes clips
older than `retention_s`, then the oldest until the folder is under `quota_bytes`; it also removes
leftovers of a crash (`.part` files, files without a row, rows without a file).

Several workers may share one folder (a fleet behind a balancer: a clip made on one downloads
through any other). Each opens its own store on it; they meet only in SQLite and the file system:
- the index is in WAL mode (readers never wait for a writer) with a busy timeout, so concurrent
  writers queue instead of failing; on a volume shared by several machines, `journal="delete"`
  (WAL's shared memory works between processes of one host only);
- random 128-bit ids do not collide between workers, and the primary key would refuse one that did;
- retention decides what goes inside one write transaction, so two workers pruning at once delete
  each clip once and never more than the quota asks; a file without a row is a leftover only once
  it has been untouched for `leftover_grace_s`, since another worker may be writing it right now.
"""
from __future__ import annotations

import contextlib
import hashlib
import hmac
import logging
import re
import secrets
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

log = logging.getLogger(__name__)

ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{22}")  # secrets.token_urlsafe(16): 128 bits
INDEX_NAME = "clips.sqlite3"
# A writer waits this long for another worker's transaction (each lasts milliseconds) before failing.
BUSY_TIMEOUT_S = 10.0
# A recording adds to its file every few frames and lasts at most clip_max_seconds (15 s): a file
# without a row that nobody touched for this long belongs to no recording on any worker.
LEFTOVER_GRACE_S = 600.0
JOURNALS = ("wal", "delete")
SCHEMA = """
CREATE TABLE IF NOT EXISTS clips (
    id TEXT PRIMARY KEY,
    secret_hash TEXT NOT NULL,
    created_at REAL NOT NULL,
    duration_s REAL NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    size_bytes INTEGER NOT NULL
)
"""


@dataclass(frozen=True)
class Clip:
    id: str
    created_at: float  # unix time
    duration_s: float
    width: int
    height: int
    size_bytes: int

    def to_dict(self) -> dict:
        return {"id": self.id, "created_at": self.created_at, "duration_s": round(self.duration_s, 2),
                "width": self.width, "height": self.height, "size_bytes": self.size_bytes}


class ClipStore:
    def __init__(self, folder: Path, *, retention_s: float, quota_bytes: int, journal: str = "wal",
                 leftover_grace_s: float = LEFTOVER_GRACE_S, busy_timeout_s: float = BUSY_TIMEOUT_S,
                 clock: Callable[[], float] = time.time) -> None:
        """clock: the clips' created_at (tests move it); leftovers are judged by their files' own
        modification times, which only the file system's clock sets."""
        if journal not in JOURNALS:
            raise ValueError(f"journal must be one of {JOURNALS}, not {journal!r}")
        self.folder = folder.expanduser()
        self.folder.mkdir(parents=True, exist_ok=True)
        self.retention_s = retention_s
        self.quota_bytes = quota_bytes
        self.leftover_grace_s = leftover_grace_s
        self.busy_timeout_s = busy_timeout_s
        self._clock = clock
        self._db = self.folder / INDEX_NAME
        self._lock = threading.Lock()  # this process's writers queue here; other workers' in SQLite
        self._set_journal(journal)
        with self._write() as db:
            db.execute(SCHEMA)

    # ---- ids and paths (only ever built from ids the server made) ----
    @staticmethod
    def new_id() -> str:
        return secrets.token_urlsafe(16)

    @staticmethod
    def new_secret() -> str:
        return secrets.token_urlsafe(24)

    @staticmethod
    def valid_id(clip_id: str) -> bool:
        return ID_PATTERN.fullmatch(clip_id) is not None

    def video_path(self, clip_id: str) -> Path:
        return self._path(clip_id, ".mp4")

    def thumbnail_path(self, clip_id: str) -> Path:
        return self._path(clip_id, ".jpg")

    def _path(self, clip_id: str, suffix: str) -> Path:
        if not self.valid_id(clip_id):
            raise ValueError("not a clip id")
        return self.folder / f"{clip_id}{suffix}"

    # ---- metadata ----
    def add(self, clip_id: str, secret: str, *, duration_s: float, width: int, height: int,
            thumbnail: np.ndarray | None) -> Clip:
        """Record a finished clip (its MP4 already renamed into place) and write its thumbnail."""
        if thumbnail is not None:
            _write_jpeg(thumbnail, self.thumbnail_path(clip_id))
        size = self.video_path(clip_id).stat().st_size
        clip = Clip(clip_id, self._clock(), duration_s, width, height, size)
        with self._write() as db:
            db.execute("INSERT INTO clips VALUES (?, ?, ?, ?, ?, ?, ?)",
                       (clip.id, _hash(secret), clip.created_at, duration_s, width, height, size))
        return clip

    def get(self, clip_id: str) -> Clip | None:
        if not self.valid_id(clip_id):
            return None
        with self._connect() as db:
            row = db.execute("SELECT id, created_at, duration_s, width, height, size_bytes FROM clips WHERE id = ?",
                             (clip_id,)).fetchone()
        if row is None or not self.video_path(clip_id).is_file():
            return None
        return Clip(*row)

    def list(self) -> list[Clip]:
        with self._connect() as db:
            rows = db.execute("SELECT id, created_at, duration_s, width, height, size_bytes FROM clips "
                              "ORDER BY created_at DESC").fetchall()
        return [Clip(*row) for row in rows]

    def owns(self, clip_id: str, secret: str) -> bool:
        if not self.valid_id(clip_id):
            return False
        with self._connect() as db:
            row = db.execute("SELECT secret_hash FROM clips WHERE id = ?", (clip_id,)).fetchone()
        return row is not None and hmac.compare_digest(row[0], _hash(secret))

    def delete(self, clip_id: str) -> bool:
        """Remove a clip's files and row; False when there was no such clip."""
        if not self.valid_id(clip_id):
            return False
        with self._write() as db:
            found = db.execute("DELETE FROM clips WHERE id = ?", (clip_id,)).rowcount > 0
        self._unlink(clip_id)
        return found

    def _unlink(self, clip_id: str) -> None:
        for path in (self.video_path(clip_id), self.thumbnail_path(clip_id)):
            path.unlink(missing_ok=True)

    def disk_usage(self) -> int:
        return sum(p.stat().st_size for p in self.folder.iterdir() if p.is_file())

    # ---- retention ----
    def prune(self, *, recording: set[str] = frozenset()) -> list[str]:
        """Apply retention by age and by quota (oldest first) and clear crash leftovers; `recording`
        names clips being written now, whose partial files stay. Returns the ids deleted."""
        now = self._clock()
        # Decided and deleted in one write transaction: a worker pruning at the same time waits,
        # then sees these rows gone, so it neither deletes them again nor counts them to the quota.
        with self._write() as db:
            clips = db.execute("SELECT id, created_at, size_bytes FROM clips ORDER BY created_at").fetchall()
            deleted = [clip_id for clip_id, created_at, _ in clips if now - created_at > self.retention_s]
            total = sum(size for clip_id, _, size in clips if clip_id not in deleted)
            for clip_id, _, size in clips:
                if total <= self.quota_bytes:
                    break
                if clip_id not in deleted:
                    deleted.append(clip_id)
                    total -= size
            db.executemany("DELETE FROM clips WHERE id = ?", [(clip_id,) for clip_id in deleted])
        for clip_id in deleted:
            self._unlink(clip_id)
        self._clear_leftovers(recording)
        if deleted:
            log.info("retention removed %d clip(s)", len(deleted))
        return deleted

    def _clear_leftovers(self, recording: set[str]) -> None:
        known = {c.id for c in self.list()}
        untouched_since = time.time() - self.leftover_grace_s
        for path in self.folder.iterdir():
            clip_id = path.name.split(".", 1)[0]
            if path.name.startswith(INDEX_NAME) or clip_id in recording:
                continue
            if clip_id not in known and path.suffix in (".mp4", ".jpg", ".part"):
                with contextlib.suppress(FileNotFoundError):  # another worker cleared it first
                    if path.stat().st_mtime < untouched_since:
                        path.unlink()
        for clip_id in known:  # a row is written after its file is in place: no file, no clip
            if not self.video_path(clip_id).is_file():
                self.delete(clip_id)

    def _set_journal(self, journal: str) -> None:
        """The journal mode belongs to the database file, so every worker on it must ask for the same.
        A change needs the file to itself: workers starting together on a new folder take turns."""
        give_up = time.monotonic() + self.busy_timeout_s
        db = sqlite3.connect(self._db, timeout=self.busy_timeout_s, isolation_level=None)
        try:
            while True:
                mode = db.execute("PRAGMA journal_mode").fetchone()[0]
                if mode == journal:
                    return
                try:
                    db.execute(f"PRAGMA journal_mode={journal}")
                except sqlite3.OperationalError:  # locked: another connection reads or writes it now
                    pass
                if time.monotonic() > give_up:
                    raise RuntimeError(f"the clip index {self._db} stays in {mode!r} journal mode while other workers "
                                       f"use it: give every worker the same MIRROR_CLIP_JOURNAL ({journal!r} here)")
                time.sleep(0.05)
        finally:
            db.close()

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        """A connection per use (threads share the store), committed and closed on the way out."""
        db = sqlite3.connect(self._db, timeout=self.busy_timeout_s)
        try:
            with db:
                yield db
        finally:
            db.close()

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction that holds SQLite's write lock from its first statement (BEGIN
        IMMEDIATE), so what it reads is still true when it writes, whichever worker writes next."""
        with self._lock:
            db = sqlite3.connect(self._db, timeout=self.busy_timeout_s, isolation_level=None)
            try:
                db.execute("BEGIN IMMEDIATE")
                try:
                    yield db
                except BaseException:
                    db.execute("ROLLBACK")
                    raise
                db.execute("COMMIT")
            finally:
                db.close()


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _write_jpeg(rgb: np.ndarray, path: Path) -> None:
    from PIL import Image

    part = path.with_name(path.name + ".part")
    Image.fromarray(rgb).save(part, format="JPEG", quality=85)
    part.replace(path)
