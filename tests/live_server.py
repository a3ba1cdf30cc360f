"""The real mirror server, run by uvicorn on a free loopback port in a background thread."""
from __future__ import annotations

import shutil
import socket
import tempfile
import threading
import time
from pathlib import Path

import httpx
import uvicorn

from mirror.server.settings import Settings
from web.app import create_app


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    def __init__(self, settings: Settings, services=None) -> None:
        # Clips go to a folder of the test's own unless it names one.
        self._own_clips = Path(tempfile.mkdtemp(prefix="mirror-clips-")) if settings.clips_dir == Settings.clips_dir else None
        # A free port unless the test names one (8000, the default, may be a developer's own server).
        port = settings.port if settings.port not in (0, Settings.port) else free_port()
        self.settings = settings.replace(port=port, clips_dir=self._own_clips or settings.clips_dir)
        self.app = create_app(self.settings, services)
        config = uvicorn.Config(self.app, host="127.0.0.1", port=self.settings.port, log_level="warning",
                                lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="live-server", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.settings.port}"

    def __enter__(self) -> "LiveServer":
        self.thread.start()
        deadline = time.monotonic() + 60  # model loading at start-up takes a few seconds on 2 cores
        while time.monotonic() < deadline:
            if self.server.started:
                return self
            if not self.thread.is_alive():
                raise RuntimeError("server thread died during start-up")
            time.sleep(0.05)
        raise RuntimeError("server did not start within 60 s")

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)
        if self._own_clips is not None:
            shutil.rmtree(self._own_clips, ignore_errors=True)

    def metrics(self) -> str:
        return httpx.get(self.url + "/metrics", timeout=5).text

    @property
    def sessions(self) -> dict:
        return self.app.state.sessions


def metric(text: str, name: str, **labels: str) -> float:
    """The sum of a metric's samples whose labels include `labels`."""
    total = 0.0
    for line in text.splitlines():
        if not line.startswith(name):
            continue
        head, _, value = line.rpartition(" ")
        series, _, label_text = head.partition("{")
        if series != name:
            continue
        if all(f'{k}="{v}"' in label_text for k, v in labels.items()):
            total += float(value)
    return total
