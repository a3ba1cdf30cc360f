"""The page's end of an open data channel, for tests that drive a session's parts without a browser."""
from __future__ import annotations

import json


class OpenChannel:
    """What the server sends, as the page would parse it."""
    readyState = "open"

    def __init__(self) -> None:
        self.sent: list[dict] = []

    def on(self, event, handler=None):
        return handler

    def send(self, payload: str) -> None:
        self.sent.append(json.loads(payload))
