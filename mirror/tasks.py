"""The asyncio tasks one part of a session starts, cancelled together when it closes.

A task that fails is logged (with the session's id) instead of vanishing into asyncio's "Task
exception was never retrieved"; a task that ends is forgotten at once.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Coroutine

log = logging.getLogger(__name__)


class Tasks:
    def __init__(self, owner: str) -> None:
        """owner: who starts them, for the log ("session 1a2b3c4d: commands")."""
        self._owner = owner
        self._running: set[asyncio.Task] = set()

    def spawn(self, coro: Coroutine) -> asyncio.Task:
        task = asyncio.ensure_future(coro)
        self._running.add(task)
        task.add_done_callback(self._done)
        return task

    def cancel(self) -> None:
        for task in list(self._running):
            task.cancel()

    def _done(self, task: asyncio.Task) -> None:
        self._running.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("%s: a task failed", self._owner, exc_info=task.exception())
