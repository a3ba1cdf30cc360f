"""Who gets a mirror now, and who waits: a cap on sessions and a queue of tickets in front of it.

The cap counts *reservations*: one is taken synchronously (no await between the check and the
count, so concurrent offers on the event loop cannot all pass the check) the moment an offer is
admitted, and given back only when its session is gone — closed and freed — or its offer failed.

Beyond the cap an offer gets a ticket (its place in the queue). The page polls with it; a ticket
holder is admitted when its position is within the free places, so people get in in order. A
newcomer without a ticket is admitted only when more places are free than people are waiting. A
ticket not polled for `ticket_ttl_s` is dropped (the page was closed) and everyone behind moves up.

A balancer asks `ready`: would a newcomer be admitted now? (A place is free that nobody waiting
needs.) A worker that is draining (SIGTERM, web/drain.py) is never ready and admits nobody, ticket
or not: its waiting pages ask again through the balancer and reach a worker that stays.
"""
from __future__ import annotations

import logging
import math
import secrets
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from mirror.server.metrics import Metrics

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Ticket:
    id: str
    position: int  # 1 = next in
    retry_after_s: int  # poll again after this long (also the Retry-After header)

    def to_dict(self) -> dict:
        return {"id": self.id, "position": self.position, "retry_after_s": self.retry_after_s}


class QueueFull(Exception):
    """So many people wait already that another ticket would only be a promise we cannot keep."""


class Draining(Exception):
    """This worker is shutting down: no one is admitted or queued here any more."""


class Reservation:
    """One place under the cap. `release()` gives it back; calling it again does nothing."""

    def __init__(self, admission: "Admission") -> None:
        self._admission = admission
        self.released = False

    def release(self) -> None:
        if not self.released:
            self.released = True
            self._admission._release(self)


class Admission:
    def __init__(self, cap: int, *, queue_max: int, poll_s: float, ticket_ttl_s: float,
                 metrics: "Metrics | None" = None, clock: Callable[[], float] = time.monotonic) -> None:
        if cap < 1 or queue_max < 0 or poll_s <= 0 or ticket_ttl_s <= poll_s:
            raise ValueError("admission needs cap >= 1, queue_max >= 0, poll_s > 0 and ticket_ttl_s > poll_s")
        self.cap = cap
        self.queue_max = queue_max
        self.poll_s = poll_s
        self.ticket_ttl_s = ticket_ttl_s
        self._metrics = metrics
        self._clock = clock
        self._reserved: set[Reservation] = set()
        self._waiting: OrderedDict[str, float] = OrderedDict()  # ticket id → last polled (in order of arrival)
        self.draining = False
        if metrics is not None:
            metrics.session_cap.set(cap)
        self._publish()

    @property
    def in_use(self) -> int:
        return len(self._reserved)

    @property
    def waiting(self) -> int:
        self._expire()
        return len(self._waiting)

    @property
    def ready(self) -> bool:
        """A newcomer would be admitted now: not draining, and a free place nobody waiting needs."""
        return not self.draining and self.waiting < self.cap - len(self._reserved)

    def stop_admitting(self) -> None:
        """From now on every offer is refused (Draining); the tickets waiting here are dropped."""
        self.draining = True
        self._waiting.clear()
        self._publish()

    def admit(self, ticket: str | None = None) -> Reservation | Ticket:
        """A reservation, or a ticket to come back with. Synchronous on purpose: see the module doc."""
        if self.draining:
            raise Draining
        self._expire()
        free = self.cap - len(self._reserved)
        if ticket is not None and ticket in self._waiting:
            position = list(self._waiting).index(ticket) + 1
            if position <= free:
                del self._waiting[ticket]
                self._count_ticket("admitted")
                return self._reserve()
            self._waiting[ticket] = self._clock()
            self._publish()
            return Ticket(ticket, position, self._retry_after())
        # A newcomer (or a ticket that expired): in only if nobody waiting needs the free places.
        if len(self._waiting) < free:
            return self._reserve()
        if len(self._waiting) >= self.queue_max:
            raise QueueFull
        new = secrets.token_urlsafe(12)
        self._waiting[new] = self._clock()
        self._count_ticket("issued")
        self._publish()
        return Ticket(new, len(self._waiting), self._retry_after())

    def retry_after_s(self) -> int:
        return self._retry_after()

    # ---- internals ----
    def _reserve(self) -> Reservation:
        reservation = Reservation(self)
        self._reserved.add(reservation)
        self._publish()
        return reservation

    def _release(self, reservation: Reservation) -> None:
        self._reserved.discard(reservation)
        self._publish()

    def _expire(self) -> None:
        cutoff = self._clock() - self.ticket_ttl_s
        expired = [t for t, polled in self._waiting.items() if polled < cutoff]
        for t in expired:
            del self._waiting[t]
            self._count_ticket("expired")
        if expired:
            log.info("%d unpolled ticket(s) expired; %d waiting", len(expired), len(self._waiting))
            self._publish()

    def _retry_after(self) -> int:
        return max(1, math.ceil(self.poll_s))

    def _count_ticket(self, outcome: str) -> None:
        if self._metrics is not None:
            self._metrics.tickets.labels(outcome).inc()

    def _publish(self) -> None:
        if self._metrics is not None:
            self._metrics.sessions_reserved.set(len(self._reserved))
            self._metrics.queue_waiting.set(len(self._waiting))
            self._metrics.draining.set(int(self.draining))
