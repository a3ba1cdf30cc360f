"""The server's pool for blocking work on behalf of the event loop (asyncio.to_thread: closing a
session's threads, interpreting a command, loading models), started at its full size.

asyncio's default pool starts threads lazily, one more each time more closes happen to overlap
than ever before, so a long-running server's thread count drifts up for hours and a leak cannot
be told from growth. Started full, the count is flat: any thread more is a leak.
"""
from __future__ import annotations

import asyncio
import os
import threading
from concurrent.futures import ThreadPoolExecutor


def default_size() -> int:
    return min(32, (os.cpu_count() or 1) + 4)  # asyncio's own default


def start_worker_pool(loop: asyncio.AbstractEventLoop, size: int | None = None) -> ThreadPoolExecutor:
    """A pool of `size` threads, all running, as `loop`'s default executor."""
    size = size or default_size()
    pool = ThreadPoolExecutor(max_workers=size, thread_name_prefix="mirror-worker")
    # A pool makes a thread per task while none is idle: `size` tasks that wait for each other
    # start all of them.
    everyone = threading.Barrier(size)
    for future in [pool.submit(everyone.wait) for _ in range(size)]:
        future.result()
    loop.set_default_executor(pool)
    return pool
