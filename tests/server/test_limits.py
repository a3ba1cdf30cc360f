"""The rules behind admission, deadlines and limits, on a clock of our own: who gets a place,
when a session is overdue, what the reaper does with a close that hangs, how buckets refill and
how repeated log lines are counted instead of written, what a failing message handler does, and
that a real offer has the shape the SDP check takes."""
from __future__ import annotations

import asyncio
import logging

import pytest

from mirror.events import Outbox, PingReceived
from mirror.server.admission import Admission, QueueFull, Reservation, Ticket
from mirror.server.lifetime import CLOSE_GRACE_S, Deadlines, Reaper, SessionClock
from mirror.server.log_limit import RepeatLimit
from mirror.server.metrics import Metrics
from mirror.server.rate_limit import KeyedBuckets, TokenBucket
from mirror.server.sdp_check import check_offer_sdp
from mirror.server.settings import Settings
from mirror.session.page import Greeting, PageChannel
from tests.open_channel import OpenChannel


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def admission(cap: int = 2, **kw) -> tuple[Admission, Clock]:
    clock = Clock()
    options = dict(queue_max=3, poll_s=1.0, ticket_ttl_s=5.0) | kw
    return Admission(cap, clock=clock, **options), clock


def test_a_place_is_taken_at_admission_and_given_back_once():
    a, _ = admission(cap=2)
    first, second = a.admit(), a.admit()
    assert isinstance(first, Reservation) and isinstance(second, Reservation) and a.in_use == 2
    assert isinstance(a.admit(), Ticket)
    first.release()
    first.release()  # idempotent: a session closed twice frees one place
    assert a.in_use == 1


def test_the_queue_is_bounded():
    a, _ = admission(cap=1, queue_max=2)
    a.admit()
    a.admit(), a.admit()
    with pytest.raises(QueueFull):
        a.admit()


def test_an_unknown_or_expired_ticket_joins_at_the_end():
    a, clock = admission(cap=1)
    a.admit()
    t1 = a.admit()
    clock.now = 6.0  # t1 unpolled past its 5 s
    t2 = a.admit(t1.id)
    assert isinstance(t2, Ticket) and t2.id != t1.id and t2.position == 1
    assert a.admit("forged").position == 2


# ---- deadlines and the reaper ----
@pytest.mark.parametrize("clock, now, verdict", [
    (SessionClock(started_at=0), 9.9, None),
    (SessionClock(started_at=0), 10.1, "connect_timeout"),
    (SessionClock(started_at=0, connected_at=1), 5.9, None),
    (SessionClock(started_at=0, connected_at=1), 6.1, "media_timeout"),
    (SessionClock(started_at=0, connected_at=1, last_media_at=50), 54.9, None),
    (SessionClock(started_at=0, connected_at=1, last_media_at=50), 55.1, "media_timeout"),
    (SessionClock(started_at=0, connected_at=1, last_media_at=100.5), 100.6, "max_length"),
])
def test_deadlines(clock, now, verdict):
    assert Deadlines(connect_s=10, media_s=5, max_s=100).overdue(clock, now) == verdict


class StuckSession:
    """A session whose close() does not finish (a thread that will not join) until told to."""

    def __init__(self, clock) -> None:
        self.id = "stuck"
        self.clock = SessionClock(started_at=0, connected_at=0, last_media_at=0)
        self.closed = asyncio.Event()
        self.unstick = asyncio.Event()
        self.abandoned = False
        self._now = clock

    async def close(self, reason: str = "closed") -> None:
        self.closed.set()
        self.clock.closing_at = self._now()
        await self.unstick.wait()

    def abandon(self) -> None:
        self.abandoned = True


async def test_the_reaper_lets_go_of_a_close_that_hangs():
    now = [0.0]
    session = StuckSession(lambda: now[0])
    reaper = Reaper({"stuck": session}, Deadlines(connect_s=10, media_s=5), 0.1, clock=lambda: now[0])
    now[0] = 6.0
    assert reaper.sweep() == [("stuck", "media_timeout")]
    await asyncio.sleep(0)  # the close starts, and hangs
    now[0] = 6.0 + CLOSE_GRACE_S / 2
    assert reaper.sweep() == [] and not session.abandoned
    now[0] = 6.0 + CLOSE_GRACE_S + 1
    assert reaper.sweep() == [("stuck", "abandoned")] and session.abandoned
    session.unstick.set()
    await asyncio.sleep(0.01)


# ---- token buckets ----
def test_a_bucket_allows_its_burst_then_its_rate():
    clock = Clock()
    bucket = TokenBucket(rate=2, burst=3, clock=clock)
    assert [bucket.take() for _ in range(4)] == [True, True, True, False]
    assert bucket.wait_s() == pytest.approx(0.5)
    clock.now = 0.5
    assert bucket.take() and not bucket.take()


def test_keyed_buckets_stay_bounded_and_forget_full_ones_first():
    clock = Clock()
    buckets = KeyedBuckets(rate=1, burst=2, max_keys=3, clock=clock)
    for key in ("a", "b", "c"):
        buckets.take(key)
    clock.now = 10  # all refilled: as good as absent
    buckets.take("d")
    assert len(buckets) == 1
    for key in ("e", "f", "g"):
        buckets.take(key)
    assert len(buckets) == 3


# ---- repeated log lines ----
def test_a_repeated_log_line_is_let_through_a_few_times_then_counted():
    clock = Clock()
    limit = RepeatLimit(burst=3, window_s=10, clock=clock)
    record = lambda i: logging.LogRecord("mirror.x", logging.WARNING, __file__, 1, "bad message from %s", (i,), None)
    passed = [limit.filter(record(i)) for i in range(100)]
    assert passed.count(True) == 3
    clock.now = 11
    first = record(100)
    assert limit.filter(first)
    assert first.getMessage() == "bad message from 100 (+97 like this suppressed)"
    other = logging.LogRecord("mirror.x", logging.WARNING, __file__, 1, "another line %s", (1,), None)
    assert limit.filter(other)  # a different template has its own budget


# ---- a message handler that fails ----


async def test_a_message_handler_that_fails_is_answered_and_counted_never_raised():
    metrics = Metrics()
    outbox = Outbox(asyncio.get_running_loop())
    page = PageChannel(Greeting("s1", [], False, {}), Settings.load(environ={}), outbox, metrics)
    outbox.subscribe(PingReceived, lambda event: 1 / 0)  # a bug in the part that answers pings
    channel = OpenChannel()
    page.attach(channel)
    page.on_message('{"v": 1, "type": "ping", "t": 1.0}')  # must not raise into aiortc
    assert channel.sent[-1]["type"] == "error"
    assert metrics.message_errors._value.get() == 1  # noqa: SLF001


def test_a_real_offer_has_the_shape_the_mirror_takes():
    async def offer() -> str:
        from tests.hardening import make_offer

        pc, _ = await make_offer(audio_tracks=1)
        await pc.close()
        return pc.localDescription.sdp

    shape = check_offer_sdp(asyncio.run(offer()))
    assert (shape.video, shape.audio, shape.data) == (1, 1, 1)
    assert "VP8" in shape.video_codecs and "OPUS" in shape.audio_codecs
