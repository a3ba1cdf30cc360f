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
    def __init__(self, folder: Path, *, retention_s: float, quota_bytes: int,
                 clock: Callable[[], float] = time.time) -> None:
        self.folder = folder.expanduser()
        self.folder.mkdir(parents=True, exist_ok=True)
        self.retention_s = retention_s
        self.quota_bytes = quota_bytes
        self._clock = clock
        self._db = self.folder / "clips.sqlite3"
        self._lock = threading.Lock()  # one writer at a time; sqlite3 connections are per call
        with self._connect() as db:
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
        with self._lock, self._connect() as db:
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
        with self._lock, self._connect() as db:
            found = db.execute("DELETE FROM clips WHERE id = ?", (clip_id,)).rowcount > 0
        for path in (self.video_path(clip_id), self.thumbnail_path(clip_id)):
            path.unlink(missing_ok=True)
        return found

    def disk_usage(self) -> int:
        return sum(p.stat().st_size for p in self.folder.iterdir() if p.is_file())

    # ---- retention ----
    def prune(self, *, recording: set[str] = frozenset()) -> list[str]:
        """Apply retention by age and by quota (oldest first) and clear crash leftovers; `recording`
        names clips being written now, whose partial files stay. Returns the ids deleted."""
        deleted: list[str] = []
        now = self._clock()
        clips = sorted(self.list(), key=lambda c: c.created_at)
        for clip in clips:
            if now - clip.created_at > self.retention_s and self.delete(clip.id):
                deleted.append(clip.id)
        remaining = [c for c in clips if c.id not in deleted]
        total = sum(c.size_bytes for c in remaining)
        for clip in remaining:
            if total <= self.quota_bytes:
                break
            if self.delete(clip.id):
                deleted.append(clip.id)
                total -= clip.size_bytes
        self._clear_leftovers(recording)
        if deleted:
            log.info("retention removed %d clip(s)", len(deleted))
        return deleted

    def _clear_leftovers(self, recording: set[str]) -> None:
        known = {c.id for c in self.list()}
        for path in self.folder.iterdir():
            clip_id = path.name.split(".", 1)[0]
            if path.name.startswith("clips.sqlite3") or clip_id in recording:
                continue
            if clip_id not in known and path.suffix in (".mp4", ".jpg", ".part"):
                path.unlink(missing_ok=True)
        for clip_id in known:
            if not self.video_path(clip_id).is_file():
                self.delete(clip_id)

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        """A connection per use (threads share the store), committed and closed on the way out."""
        db = sqlite3.connect(self._db, timeout=5)
        try:
            with db:
                yield db
        finally:
            db.close()


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _write_jpeg(rgb: np.ndarray, path: Path) -> None:
    from PIL import Image

    part = path.with_name(path.name + ".part")
    Image.fromarray(rgb).save(part, format="JPEG", quality=85)
    part.replace(path)
