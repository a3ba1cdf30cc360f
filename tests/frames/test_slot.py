import asyncio
import threading

import pytest

from mirror.frames.slot import LatestSlot, SlotClosed


def test_writing_twice_keeps_only_the_newest_and_counts_one_drop():
    slot = LatestSlot("s")
    assert slot.put(1) is False
    assert slot.put(2) is True
    assert slot.take(timeout=0) == 2
    assert slot.dropped == 1
    assert slot.take(timeout=0) is None


def test_a_slow_reader_never_sees_a_backlog():
    slot = LatestSlot("s")
    for i in range(1000):
        slot.put(i)
    assert slot.take(timeout=0) == 999
    assert slot.dropped == 999


def test_take_waits_for_a_writer_on_another_thread():
    slot = LatestSlot("s")
    threading.Timer(0.05, slot.put, args=("frame",)).start()
    assert slot.take(timeout=5) == "frame"


def test_close_wakes_a_waiting_reader():
    slot = LatestSlot("s")
    threading.Timer(0.05, slot.close).start()
    with pytest.raises(SlotClosed):
        slot.take(timeout=5)


async def test_async_reader_is_woken_by_a_thread_writer():
    slot = LatestSlot("s")
    threading.Timer(0.05, slot.put, args=("frame",)).start()
    assert await asyncio.wait_for(slot.take_async(asyncio.get_running_loop()), 5) == "frame"


async def test_async_reader_sees_close():
    slot = LatestSlot("s")
    asyncio.get_running_loop().call_later(0.05, slot.close)
    with pytest.raises(SlotClosed):
        await asyncio.wait_for(slot.take_async(asyncio.get_running_loop()), 5)
