"""uvicorn, configured for strangers: deadlines on unfinished requests, bounded headers and
connections, TLS where the host needs it.

uvicorn times out idle keep-alive connections, but not a request that never finishes: a client
that sends half a request line holds its connection (and its socket) for ever, so 500 of them hold
500. `TimedH11Protocol` gives every request `http_header_timeout_s` to finish its headers, from
the connection's start or the end of the previous response; the body's deadline is read_body's
(web/body.py), since the app reads it.

`MirrorServer` is uvicorn's server with one change: SIGTERM (or Ctrl+C) drains the mirror
(web/drain.py) instead of stopping it at once, and the process then exits 0. uvicorn's own
handler would stop serving at once, close every session with it, and re-raise the signal at exit
(a status of -15, which a supervisor counts as a crash).
"""
from __future__ import annotations

import asyncio
import logging
import signal
from typing import TYPE_CHECKING, Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

if TYPE_CHECKING:
    from types import FrameType

    from mirror.server.settings import Settings
    from web.drain import Drain

log = logging.getLogger(__name__)

MAX_HEADER_BYTES = 16 * 1024  # a request line and headers; the page's are < 1 KB
GRACEFUL_SHUTDOWN_S = 5  # stop waiting for held connections when the server stops


class TimedH11Protocol(H11Protocol):
    header_timeout_s: float = 10.0  # set per server by `protocol_with_deadline`

    def connection_made(self, transport: "asyncio.Transport") -> None:  # type: ignore[override]
        self._header_deadline: "asyncio.TimerHandle | None" = None
        super().connection_made(transport)
        self._watch_headers()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._watch_headers()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._watch_headers()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_deadline()
        super().connection_lost(exc)

    def _watch_headers(self) -> None:
        # IDLE: their next request has not got past its headers (or has not begun).
        waiting = self.conn.their_state is h11.IDLE and not self.transport.is_closing()
        if waiting and self._header_deadline is None:
            self._header_deadline = self.loop.call_later(self.header_timeout_s, self._headers_too_slow)
        elif not waiting:
            self._cancel_deadline()

    def _cancel_deadline(self) -> None:
        if self._header_deadline is not None:
            self._header_deadline.cancel()
            self._header_deadline = None

    def _headers_too_slow(self) -> None:
        self._header_deadline = None
        if not self.transport.is_closing():
            self.transport.close()


def protocol_with_deadline(header_timeout_s: float) -> type[TimedH11Protocol]:
    return type("TimedH11Protocol", (TimedH11Protocol,), {"header_timeout_s": header_timeout_s})


class MirrorServer(uvicorn.Server):
    """The first signal begins the drain; a second ends its wait; the server stops once it has finished."""

    def __init__(self, config: uvicorn.Config, drain: "Drain") -> None:
        super().__init__(config)
        self.drain = drain
        self.signals = 0
        self._serving = False
        self._pending: list[tuple[int, str]] = []  # signals received (which one, its name), not yet handed on

    async def serve(self, sockets: Any = None) -> None:
        self._serving = True
        await super().serve(sockets)

    def handle_exit(self, sig: int, frame: "FrameType | None") -> None:
        # Python runs this in the main thread between two bytecodes of whatever the loop was doing,
        # so it only notes the signal: the server's own tick (on the loop, every 100 ms) starts the drain.
        self.signals += 1
        if not self._serving:
            self.should_exit = True
            return
        self._pending.append((self.signals, signal.Signals(sig).name))

    async def on_tick(self, counter: int) -> bool:
        while self._pending:
            nth, name = self._pending.pop(0)
            (self.drain.begin if nth == 1 else self.drain.hurry)(name)
        return await super().on_tick(counter) or self.drain.finished


def uvicorn_config(app: Any, settings: "Settings", **overrides: Any) -> uvicorn.Config:
    """How `mirror serve` (and the tests that stand in for it) run the app."""
    options: dict[str, Any] = dict(
        host=settings.host,
        port=settings.port,
        log_level="warning",
        lifespan="on",
        http=protocol_with_deadline(settings.http_header_timeout_s),
        timeout_keep_alive=settings.http_keep_alive_s,
        h11_max_incomplete_event_size=MAX_HEADER_BYTES,
        limit_concurrency=settings.http_max_connections,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
        # A balancer's X-Forwarded-For names the guest (per-address offer limits), from these only.
        forwarded_allow_ips=list(settings.forwarded_allow_ips),
    )
    if settings.ssl_certfile:
        options.update(ssl_certfile=settings.ssl_certfile, ssl_keyfile=settings.ssl_keyfile or None)
    options.update(overrides)
    return uvicorn.Config(app, **options)
