"""Everything the mirror changes for the whole process, in one place, each with its undo.

    limit_arenas(settings)                      `mirror serve`, before any thread exists (no undo:
                                                glibc takes no "back to the default"; tests never set it)
    process = ProcessSetUp.apply(settings, …)   the server's start-up, before the first session
    process.freeze_startup_heap()               once the services are loaded
    process.undo()                              when the server stops (a test process runs many)

What it sets, and why each is process-wide:
- glibc's malloc arenas (mirror/server/allocator.py): capped before threads make their own.
- The event loop's default executor: a pool started at its full size, so a thread more is a leak
  (asyncio's own pool grows one thread at a time for hours).
- WebRTC (mirror/rtc/): which addresses aioice offers as host candidates (it has no option, only a
  module function to replace), the encoders' bitrate caps, fast VP8 and encode timing (aiortc's
  module constants and encoder classes), and the check that the marker-bit receive still fits
  aiortc's receiver (that patch itself is per receiver, in mirror/rtc/peer.py).
- The heap alive after start-up, frozen out of the garbage collector's walks.
"""
from __future__ import annotations

import asyncio
import gc
import logging
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Callable

from mirror.server import allocator

if TYPE_CHECKING:
    from mirror.server.settings import Settings

log = logging.getLogger(__name__)


def limit_arenas(settings: "Settings") -> None:
    """Cap glibc's malloc arenas at `settings.malloc_arena_max` (0: glibc's own number)."""
    allocator.limit_arenas(settings.malloc_arena_max)


def worker_pool_size() -> int:
    return min(32, (os.cpu_count() or 1) + 4)  # asyncio's own default


class ProcessSetUp:
    def __init__(self) -> None:
        self._undo: list[Callable[[], None]] = []

    @classmethod
    def apply(cls, settings: "Settings", observe_encode: Callable[[float], None] | None = None,
              loop: asyncio.AbstractEventLoop | None = None) -> "ProcessSetUp":
        """On the event loop, at start-up. observe_encode: told each video encode's seconds."""
        done = cls()
        try:
            done._start_worker_pool(loop or asyncio.get_running_loop())
            done._configure_webrtc(settings, observe_encode)
        except BaseException:
            done.undo()
            raise
        return done

    def freeze_startup_heap(self) -> None:
        """Once the models are loaded: later collections skip everything alive now."""
        allocator.freeze_startup_heap()
        self._undo.append(gc.unfreeze)

    def undo(self) -> None:
        """Last made, first undone; one failing does not keep the others."""
        while self._undo:
            step = self._undo.pop()
            try:
                step()
            except Exception:
                log.exception("undoing a process-wide setting failed")

    def _start_worker_pool(self, loop: asyncio.AbstractEventLoop) -> None:
        """`asyncio.to_thread`'s pool (closing a session's threads, interpreting a command, loading
        models), with every thread running from the start: a pool makes a thread per task while
        none is idle, so `size` tasks that wait for each other start all of them."""
        size = worker_pool_size()
        pool = ThreadPoolExecutor(max_workers=size, thread_name_prefix="mirror-worker")
        everyone = threading.Barrier(size)
        for future in [pool.submit(everyone.wait) for _ in range(size)]:
            future.result()
        loop.set_default_executor(pool)
        self._undo.append(lambda: pool.shutdown(wait=False))

    def _configure_webrtc(self, settings: "Settings", observe_encode: Callable[[float], None] | None) -> None:
        from mirror.rtc.encoder import configure_low_latency_encoding, restore_stock_encoding, time_encoding
        from mirror.rtc.jitter import check_supported
        from mirror.rtc.loopback import restrict_host_addresses, unrestrict_host_addresses

        if settings.rtp_marker_completion:
            check_supported()
        self._undo.append(restore_stock_encoding)
        configure_low_latency_encoding(settings)
        time_encoding(observe_encode)
        if settings.ice_addresses:
            self._undo.append(unrestrict_host_addresses)
            restrict_host_addresses(settings.ice_addresses)
