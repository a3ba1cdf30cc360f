"""A latest-item slot: the only kind of buffer between two parts of the frame path.

Writing replaces whatever is there and counts it as dropped, so a slow consumer always gets the
newest frame and nothing ever piles up. Consumers are worker threads (`take`) or the asyncio event
loop (`take_async`); producers may be either.
"""
from __future__ import annotations

import asyncio
import threading
from typing import Generic, TypeVar

T = TypeVar("T")


class SlotClosed(Exception):
    """The slot was closed while waiting: the consumer should stop."""


class LatestSlot(Generic[T]):
    def __init__(self, name: str) -> None:
        self.name = name
        self.dropped = 0
        self.written = 0
        self._item: T | None = None
        self._has_item = False
        self._closed = False
        self._cond = threading.Condition()
        # Async consumers wait on an asyncio.Event that producers on any thread set via the loop.
        self._async_waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = []

    def put(self, item: T) -> bool:
        """Store `item`, replacing an unconsumed one. Returns True if one was dropped."""
        with self._cond:
            if self._closed:
                return False
            replaced = self._has_item
            if replaced:
                self.dropped += 1
            self._item, self._has_item = item, True
            self.written += 1
            self._cond.notify_all()
            waiters, self._async_waiters = self._async_waiters, []
        for loop, event in waiters:
            if not loop.is_closed():
                loop.call_soon_threadsafe(event.set)
        return replaced

    def take(self, timeout: float | None = None) -> T | None:
        """Block until an item is there and return it (emptying the slot); None on timeout."""
        with self._cond:
            if not self._cond.wait_for(lambda: self._has_item or self._closed, timeout):
                return None
            if self._closed and not self._has_item:
                raise SlotClosed(self.name)
            return self._pop()

    async def take_async(self) -> T:
        """Wait on the event loop for the next item, without blocking the loop."""
        loop = asyncio.get_running_loop()
        while True:
            with self._cond:
                if self._has_item:
                    return self._pop()
                if self._closed:
                    raise SlotClosed(self.name)
                event = asyncio.Event()
                self._async_waiters.append((loop, event))
            await event.wait()

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
            waiters, self._async_waiters = self._async_waiters, []
        for loop, event in waiters:
            if not loop.is_closed():
                loop.call_soon_threadsafe(event.set)

    @property
    def closed(self) -> bool:
        return self._closed

    def _pop(self) -> T:
        item = self._item
        self._item, self._has_item = None, False
        return item  # type: ignore[return-value]
