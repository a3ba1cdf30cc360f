"""Token buckets: how often one client may do something (offers per address, messages per session).

A bucket holds up to `burst` tokens and refills at `rate` per second; an action takes one token or
is refused. Synchronous and lock-free: everything that calls them runs on the event loop.
"""
from __future__ import annotations

import time
from collections import OrderedDict
from typing import Callable, Hashable

Clock = Callable[[], float]


class TokenBucket:
    def __init__(self, rate: float, burst: int, clock: Clock = time.monotonic) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("a token bucket needs rate > 0 and burst >= 1")
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._tokens = float(burst)
        self._at = clock()

    def _refill(self) -> float:
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._at) * self.rate)
        self._at = now
        return self._tokens

    def take(self) -> bool:
        """Spend one token if there is one."""
        if self._refill() >= 1:
            self._tokens -= 1
            return True
        return False

    def wait_s(self) -> float:
        """Seconds until the next token."""
        return max(0.0, (1 - self._refill()) / self.rate)

    @property
    def full(self) -> bool:
        return self._refill() >= self.burst


class KeyedBuckets:
    """One bucket per key (a client address), at most `max_keys` of them: a bucket that has refilled
    is the same as no bucket, so those go first; if that is not enough the least recently used go."""

    def __init__(self, rate: float, burst: int, *, max_keys: int = 10_000, clock: Clock = time.monotonic) -> None:
        self.rate, self.burst, self._clock, self._max_keys = rate, burst, clock, max_keys
        self._buckets: OrderedDict[Hashable, TokenBucket] = OrderedDict()

    def take(self, key: Hashable) -> bool:
        bucket = self._buckets.get(key)
        if bucket is None:
            self._make_room()
            bucket = self._buckets[key] = TokenBucket(self.rate, self.burst, self._clock)
        self._buckets.move_to_end(key)
        return bucket.take()

    def wait_s(self, key: Hashable) -> float:
        bucket = self._buckets.get(key)
        return bucket.wait_s() if bucket is not None else 0.0

    def __len__(self) -> int:
        return len(self._buckets)

    def _make_room(self) -> None:
        if len(self._buckets) < self._max_keys:
            return
        for key in [k for k, b in self._buckets.items() if b.full]:
            del self._buckets[key]
        while len(self._buckets) >= self._max_keys:
            self._buckets.popitem(last=False)
