"""What the mirror changes for the whole process is undone when the server stops: a process that
runs several servers (this test run does) starts each from aiortc's and aioice's own behaviour."""
from __future__ import annotations

import asyncio
import gc

import aioice.ice
import pytest
from aiortc.codecs import h264, vpx

from mirror.server.process import ProcessSetUp, worker_pool_size
from mirror.server.settings import Settings


def stock() -> tuple:
    return (aioice.ice.get_host_addresses, vpx.DEFAULT_BITRATE, vpx.MAX_BITRATE, h264.MAX_BITRATE,
            vpx.Vp8Encoder.__dict__["encode"], vpx.Vp8Encoder.__dict__["target_bitrate"])


async def test_every_process_wide_setting_is_undone():
    before = stock()
    settings = Settings.load(environ={}).replace(ice_addresses=("127.0.0.1",), video_bitrate=2_000_000)
    loop = asyncio.get_running_loop()
    process = ProcessSetUp.apply(settings, observe_encode=lambda seconds: None)
    try:
        process.freeze_startup_heap()
        now = stock()
        assert all(a is not b for a, b in zip(before[4:], now[4:]))  # the encoders are wrapped
        assert now[1:4] != before[1:4]  # and capped
        assert aioice.ice.get_host_addresses(True, True) == ["127.0.0.1"]
        assert gc.get_freeze_count() > 0
        threads = await asyncio.gather(*(asyncio.to_thread(lambda: None) for _ in range(3)))
        assert len(threads) == 3 and loop._default_executor._max_workers == worker_pool_size()  # noqa: SLF001
    finally:
        process.undo()
    assert stock() == before
    assert gc.get_freeze_count() == 0
    assert loop._default_executor._shutdown  # noqa: SLF001


async def test_a_set_up_that_fails_halfway_undoes_what_it_did():
    before = stock()
    settings = Settings.load(environ={}).replace(video_bitrate=10)  # refused: too low for any video
    with pytest.raises(ValueError, match="too low"):
        ProcessSetUp.apply(settings)
    assert stock() == before
