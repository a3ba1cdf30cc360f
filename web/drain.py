"""A worker behind a balancer: whether it takes a newcomer now, and how it stops without dropping anyone.

    GET  /ready   200 while a newcomer would be admitted; 503 + {"why": "full" | "draining"}
                  otherwise. HAProxy and Kubernetes send offers only to workers that answer 200
                  (deploy/); /healthz stays "the process is alive".
    POST /drain   the operator's SIGTERM (Authorization: Bearer <MIRROR_ADMIN_TOKEN>): 202

SIGTERM (web/server.py), or POST /drain:

    admission stops at once: /ready and every offer answer 503 (offers with Retry-After)
    → each live session is told (`Draining`: the page says the mirror is restarting) and runs on
      until it ends by itself or `drain_s` has passed
    → what is left is closed; closing a session finishes and indexes its recording
    → `finished`: the server stops and the process exits 0

A second signal ends the wait: the sessions are closed at once (their recordings still saved).
Readiness is a property of the admission (mirror/server/admission.py), read without an await, so
/ready answers in the same step however busy the sessions are.
"""
from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING, Mapping

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from mirror.events import Draining
from mirror.server.lifetime import CLOSE_GRACE_S
from web.operator import refuse_unless_operator

if TYPE_CHECKING:
    from mirror.server.admission import Admission
    from mirror.session.session import Session

log = logging.getLogger(__name__)

CHECK_EVERY_S = 0.1  # how often the drain looks for sessions that ended, or new ones to tell
NO_STORE = {"Cache-Control": "no-store"}


class Drain:
    def __init__(self, sessions: Mapping[str, "Session"], admission: "Admission", drain_s: float) -> None:
        self._sessions = sessions
        self._admission = admission
        self.drain_s = drain_s
        self.begun_at: float | None = None  # time.monotonic()
        self._deadline = 0.0
        self._task: asyncio.Task | None = None
        self.finished = False  # every session closed and freed: the process may exit

    @property
    def draining(self) -> bool:
        return self.begun_at is not None

    def seconds_left(self) -> float:
        return max(0.0, self._deadline - time.monotonic()) if self.draining else self.drain_s

    def begin(self, why: str) -> None:
        """Stop admitting and let the live sessions run out (on the event loop; again does nothing)."""
        if self.draining:
            return
        self.begun_at = time.monotonic()
        self._deadline = self.begun_at + self.drain_s
        self._admission.stop_admitting()
        log.warning("draining (%s): admitting nobody; %d session(s) may run up to %.0f s more, then it exits "
                    "(a second signal stops them now)", why, self._admission.in_use, self.drain_s)
        self._task = asyncio.ensure_future(self._run())

    def hurry(self, why: str) -> None:
        """Stop waiting for the sessions: close them now (their recordings are saved all the same)."""
        if not self.draining:
            self.begin(why)
        if self._deadline > time.monotonic():
            log.warning("%s again: closing the %d live session(s) now", why, self._admission.in_use)
            self._deadline = time.monotonic()

    async def _run(self) -> None:
        told: set[str] = set()
        # A session admitted just before the drain may still be opening (a place taken, not yet in
        # `sessions`): waiting on the admission's count, not the dict, tells it too once it is there.
        while self._admission.in_use and time.monotonic() < self._deadline:
            for session in list(self._sessions.values()):
                if session.id not in told and not session.closed.is_set():
                    told.add(session.id)
                    session.outbox.publish(Draining(seconds=round(self.seconds_left(), 1)))
            await asyncio.sleep(CHECK_EVERY_S)
        left = [s for s in list(self._sessions.values()) if not s.closed.is_set()]
        if left:
            log.info("drain deadline: closing %d session(s)", len(left))
            await asyncio.gather(*(s.close("drained") for s in left), return_exceptions=True)
        # Closes already under way (the reaper's, the peer's) finish too, or are abandoned by the reaper.
        give_up = time.monotonic() + CLOSE_GRACE_S
        while self._admission.in_use and time.monotonic() < give_up:
            await asyncio.sleep(CHECK_EVERY_S)
        log.warning("drained in %.1f s; exiting", time.monotonic() - (self.begun_at or 0.0))
        self.finished = True


def drain_routes(drain: Drain, admission: "Admission", admin_token: str) -> list[Route]:
    async def ready(request: Request) -> Response:
        if admission.ready:
            return JSONResponse({"ready": True}, headers=NO_STORE)
        # The word "draining" in the body is what a balancer's check may look for (deploy/haproxy).
        return JSONResponse({"ready": False, "why": "draining" if admission.draining else "full"},
                            status_code=503, headers=NO_STORE)

    async def start_draining(request: Request) -> Response:
        if (refused := refuse_unless_operator(request, admin_token)) is not None:
            return refused
        drain.begin("POST /drain")
        return JSONResponse({"draining": True, "sessions": admission.in_use,
                             "seconds_left": round(drain.seconds_left(), 1)}, status_code=202)

    return [Route("/ready", ready), Route("/drain", start_draining, methods=["POST"])]
