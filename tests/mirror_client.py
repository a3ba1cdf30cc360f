"""A mirror client in Python: what the page does (camera, microphone, data channel), over aiortc on
loopback. Tests drive the real server with it where a browser is not the point."""
from __future__ import annotations

import asyncio
import fractions
import json
import time

import av
import httpx
import numpy as np
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import AudioStreamTrack, VideoStreamTrack

from tools.testclip import clip_frames


class ClipCamera(VideoStreamTrack):
    """The astronaut clip with known motion, looped at 30 fps."""

    def __init__(self) -> None:
        super().__init__()
        self.frames = [f.image for f in clip_frames(30)]
        self.count = 0

    async def recv(self):
        pts, time_base = await self.next_timestamp()
        frame = av.VideoFrame.from_ndarray(self.frames[self.count % len(self.frames)], format="rgb24")
        self.count += 1
        frame.pts, frame.time_base = pts, time_base
        return frame


class ToneMicrophone(AudioStreamTrack):
    """A 440 Hz tone in 20 ms frames, paced in real time."""

    def __init__(self) -> None:
        super().__init__()
        self.samples = 0
        self.started: float | None = None

    async def recv(self):
        if self.started is None:
            self.started = time.monotonic()
        wait = self.started + self.samples / 48_000 - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        t = (np.arange(960) + self.samples) / 48_000
        tone = (0.3 * 32767 * np.sin(2 * np.pi * 440 * t)).astype(np.int16)
        frame = av.AudioFrame.from_ndarray(tone.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate, frame.pts, frame.time_base = 48_000, self.samples, fractions.Fraction(1, 48_000)
        self.samples += 960
        return frame


class MirrorClient:
    def __init__(self, url: str) -> None:
        self.url = url
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.events: list[dict] = []
        self._changed = asyncio.Event()
        self.channel = None

    async def connect(self, *, audio: bool = True) -> "MirrorClient":
        self.pc.addTrack(ClipCamera())
        if audio:
            self.pc.addTrack(ToneMicrophone())
        self.channel = self.pc.createDataChannel("events")
        self.channel.on("message", self._on_message)
        await self.pc.setLocalDescription(await self.pc.createOffer())
        async with httpx.AsyncClient() as client:
            response = await client.post(self.url + "/offer", json={"sdp": self.pc.localDescription.sdp,
                                                                    "type": "offer"}, timeout=30)
        response.raise_for_status()
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=response.json()["sdp"], type="answer"))
        await self.event("hello")
        return self

    def _on_message(self, raw) -> None:
        self.events.append(json.loads(raw))
        self._changed.set()

    def say(self, text: str) -> None:
        """A typed command, as the page sends it."""
        self.channel.send(json.dumps({"v": 1, "type": "command", "text": text}))

    async def event(self, kind: str, timeout: float = 30.0, **fields) -> dict:
        """The first event of this kind (with these field values) that arrived or arrives."""
        deadline = time.monotonic() + timeout
        while True:
            for event in self.events:
                if event["type"] == kind and all(event.get(k) == v for k, v in fields.items()):
                    return event
            self._changed.clear()
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no {kind} {fields} event; got {[e['type'] for e in self.events]}")
            try:
                await asyncio.wait_for(self._changed.wait(), left)
            except asyncio.TimeoutError:
                pass

    async def close(self) -> None:
        await self.pc.close()
