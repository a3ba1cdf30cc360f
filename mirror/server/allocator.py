"""The C allocator of a long-running server (glibc only; elsewhere these do nothing).

Two things let a mirror's memory climb session after session although every session's objects
are freed: glibc keeps up to 8 arenas per core and rarely hands their free pages back, and a closed
session's objects sit in reference cycles (aiortc's event emitters) until Python's next full
collection, holding codec contexts, their native threads and frame buffers. So the server caps the
arenas at start-up and, after sessions end, collects and trims once.

A full collection walks every object: ~50 ms with the models loaded, a hiccup for everyone else's
frames. Frozen after start-up (`gc.freeze`), the models' objects are skipped and a collection after
a session walks little more than what that session left: well under a millisecond.
"""
from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import gc
import logging

log = logging.getLogger(__name__)

M_ARENA_MAX = -8  # glibc's mallopt parameter number (malloc.h)


def _libc():
    name = ctypes.util.find_library("c")
    if not name:
        return None
    try:
        libc = ctypes.CDLL(name)
    except OSError:
        return None
    return libc if hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else None


_LIBC = _libc()


def limit_arenas(count: int) -> bool:
    """Cap glibc's malloc arenas (like MALLOC_ARENA_MAX, but settable after start). Call it before
    the worker threads start: arenas made earlier stay. 0 leaves glibc's default."""
    if count <= 0 or _LIBC is None:
        return False
    if not _LIBC.mallopt(M_ARENA_MAX, count):
        log.warning("glibc refused mallopt(M_ARENA_MAX, %d)", count)
        return False
    log.info("malloc arenas capped at %d", count)
    return True


def freeze_startup_heap() -> None:
    """Call once the models are loaded: later collections skip everything alive now."""
    gc.collect()
    gc.freeze()


def trim() -> None:
    """Hand free heap pages back to the OS (blocks for a few ms on a large heap: run it off the loop)."""
    if _LIBC is not None:
        _LIBC.malloc_trim(0)


async def release_freed_memory() -> None:
    """After sessions end: free their cycles now (codecs' threads and buffers go with them), then trim."""
    gc.collect()
    await asyncio.to_thread(trim)
