"""A latest-item slot: the only kind of buffer between two parts of the frame path.

Writing replaces whatever is there and counts it as dropped, so a slow consumer always gets the
newest frame and nothing ever piles up. Consumers are worker threads (`take`) or the asyncio event
loop (`take_async`, given the loop: this module imports no asyncio, so the frame path's threads
stay free of it); producers may be either.
"""
from __future__ import annotations

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
        # Async consumers wait on a future of their loop, which producers on any thread resolve via the loop.
        self._async_waiters: list[tuple[object, object]] = []  # (event loop, future)

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
        _wake(waiters)
        return replaced

    def take(self, timeout: float | None = None) -> T | None:
        """Block until an item is there and return it (emptying the slot); None on timeout."""
        with self._cond:
            if not self._cond.wait_for(lambda: self._has_item or self._closed, timeout):
                return None
            if self._closed and not self._has_item:
                raise SlotClosed(self.name)
            return self._pop()

    async def take_async(self, loop) -> T:
        """Wait on `loop` (the running event loop) for the next item, without blocking it."""
        while True:
            with self._cond:
                if self._has_item:
                    return self._pop()
                if self._closed:
                    raise SlotClosed(self.name)
                woken = loop.create_future()
                self._async_waiters.append((loop, woken))
            await woken

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
            waiters, self._async_waiters = self._async_waiters, []
        _wake(waiters)

    @property
    def closed(self) -> bool:
        return self._closed

    def _pop(self) -> T:
        item = self._item
        self._item, self._has_item = None, False
        return item  # type: ignore[return-value]


def _wake(waiters: list) -> None:
    for loop, woken in waiters:
        if not loop.is_closed():
            loop.call_soon_threadsafe(_resolve, woken)


def _resolve(woken) -> None:
    if not woken.done():  # the consumer may have been cancelled meanwhile
        woken.set_result(None)


class Snapshot(Generic[T]):
    """The newest value of something one part owns and others read on any thread, never consumed:
    the person's scene, published by mirror/session/commands.py, read by every frame of the path.
    Publishing is one reference assignment, atomic in Python: readers get the old value or the new."""

    def __init__(self, value: T) -> None:
        self.value = value

    def publish(self, value: T) -> None:
        self.value = value
