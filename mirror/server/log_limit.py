"""A logging filter that lets a repeated line through a few times, then counts it instead.

A stranger can make the server log at will (a bad message, an offer refused); 1,000 of them a
second must not become 1,000 log lines. Records are grouped by logger, level and message template
(the format string, not its arguments), so "bad message from session %s" is one line however many
sessions send garbage. The next record of a group let through says how many were suppressed.
"""
from __future__ import annotations

import logging
import threading
import time
from typing import Callable

# 10 of one kind per 10 s: a real problem still shows every few seconds, a flood costs 1 line/s.
BURST = 10
WINDOW_S = 10.0


class RepeatLimit(logging.Filter):
    suppressed_total = 0  # over every instance, for /metrics

    def __init__(self, burst: int = BURST, window_s: float = WINDOW_S, clock: Callable[[], float] = time.monotonic):
        super().__init__()
        self.burst, self.window_s, self._clock = burst, window_s, clock
        self._groups: dict[tuple, list] = {}  # key → [window start, let through, suppressed]
        self._lock = threading.Lock()  # loggers are called from worker threads too

    def filter(self, record: logging.LogRecord) -> bool:
        key = (record.name, record.levelno, str(record.msg))
        now = self._clock()
        with self._lock:
            group = self._groups.get(key)
            if group is None or now - group[0] >= self.window_s:
                suppressed = group[2] if group else 0
                if len(self._groups) > 1000:  # templates are few; this only bounds a bug
                    self._groups.clear()
                self._groups[key] = [now, 1, 0]
            elif group[1] < self.burst:
                group[1] += 1
                suppressed, group[2] = group[2], 0
            else:
                group[2] += 1
                RepeatLimit.suppressed_total += 1
                return False
        if suppressed and isinstance(record.args, tuple):
            record.msg = f"{record.msg} (+%d like this suppressed)"
            record.args = (*record.args, suppressed)
        return True


def limit_repeats(logger: logging.Logger) -> logging.Logger:
    """Attach a RepeatLimit to `logger` (records it creates itself; not its children's)."""
    if not any(isinstance(f, RepeatLimit) for f in logger.filters):
        logger.addFilter(RepeatLimit())
    return logger
