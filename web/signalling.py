"""POST /offer: everything an offer passes before a session is built for it, cheapest first.

    Origin (+ Host on loopback) → Content-Type → offers per address → body (size, deadline)
    → JSON (depth, no NaN) → Offer model → SDP shape → a place under the cap, or a queue ticket
    → Session → answer

Nothing before "a place under the cap" allocates more than the request itself; no peer
connection, thread or speech listener exists for an offer that fails any step. The place is taken
synchronously with its check (no await between them) and given back when the session is gone.
"""
from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Callable, MutableMapping

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from mirror import messages
from mirror.server.admission import Admission, Draining, QueueFull, Ticket
from mirror.server.log_limit import limit_repeats
from mirror.server.rate_limit import KeyedBuckets
from mirror.server.sdp_check import SdpRejected, check_offer_sdp
from mirror.session.session import Session
from web.binding import is_loopback
from web.body import BodyTooLarge, BodyTooSlow, read_body
from web.origin import host_allowed, origin_allowed

if TYPE_CHECKING:
    from mirror.server.metrics import Metrics
    from mirror.server.settings import Settings

log = limit_repeats(logging.getLogger(__name__))

JSON_TYPES = ("application/json",)


def error(status: int, text: str, headers: dict[str, str] | None = None, **fields) -> JSONResponse:
    return JSONResponse({"error": text, **fields}, status_code=status, headers=headers)


class OfferEndpoint:
    def __init__(self, settings: "Settings", sessions: MutableMapping[str, Session], admission: Admission,
                 metrics: "Metrics", on_gone: Callable[[Session], None] = lambda session: None) -> None:
        self.settings = settings
        self.sessions = sessions
        self.admission = admission
        self.metrics = metrics
        self._on_gone = on_gone
        self._per_address = KeyedBuckets(settings.offer_rate_per_s, settings.offer_burst)
        self._loopback = is_loopback(settings.host)

    def _refuse(self, reason: str, status: int, text: str, headers: dict[str, str] | None = None,
                **fields) -> JSONResponse:
        self.metrics.offers_rejected.labels(reason).inc()
        log.info("offer refused (%s): %s", reason, text)
        return error(status, text, headers, **fields)

    async def handle(self, request: Request) -> Response:
        settings = self.settings
        origin, host = request.headers.get("origin"), request.headers.get("host")
        listed = origin is not None and origin.rstrip("/") in {o.rstrip("/") for o in settings.allowed_origins}
        if not listed and not (origin_allowed(origin, host, settings.allowed_origins)
                               and host_allowed(host, self._loopback)):
            return self._refuse("forbidden_origin", 403, "offers are accepted only from the mirror's own page")
        media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if media_type not in JSON_TYPES:
            return self._refuse("unsupported_media_type", 415, "the offer must be sent as application/json")
        address = request.client.host if request.client else "?"
        if not self._per_address.take(address):
            wait = max(1, round(self._per_address.wait_s(address) + 0.5))
            return self._refuse("rate_limited", 429, f"too many offers from {address}; try again in {wait} s",
                                {"Retry-After": str(wait)})
        try:
            body = await read_body(request, settings.max_body_bytes, settings.http_body_timeout_s)
        except BodyTooLarge:
            return self._refuse("too_large", 413, f"request body larger than {settings.max_body_bytes} bytes")
        except BodyTooSlow:
            return self._refuse("body_timeout", 408, f"the body took longer than {settings.http_body_timeout_s:g} s")
        try:
            parsed = messages.Offer.model_validate(messages.load_json(body, max_depth=messages.MAX_OFFER_DEPTH))
        except messages.BadJson as exc:
            return self._refuse("malformed", 400, f"body must be JSON: {{\"sdp\": \"...\", \"type\": \"offer\"}} ({exc})")
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(map(str, first["loc"])) or "body"
            return self._refuse("malformed", 400, f"invalid offer: {where}: {first['msg']}")
        try:
            check_offer_sdp(parsed.sdp)
        except SdpRejected as exc:
            return self._refuse("bad_sdp", 400, f"cannot use this SDP offer: {exc}")

        # From here to the reservation, no await: the place is reserved in the same step as its check.
        try:
            admitted = self.admission.admit(parsed.ticket)
        except Draining:  # no ticket: this worker is going away, the page's next try reaches another
            return self._refuse("draining", 503, "this mirror is restarting; try again in a moment",
                                {"Retry-After": str(self.admission.retry_after_s())})
        except QueueFull:
            wait = str(self.admission.retry_after_s())
            return self._refuse("queue_full", 503, "the mirror is busy and its queue is full; try again soon",
                                {"Retry-After": wait})
        if isinstance(admitted, Ticket):
            self.metrics.offers_rejected.labels("busy").inc()
            return error(503, f"the mirror is busy ({self.admission.cap} people at it): you are number "
                              f"{admitted.position} in the queue", {"Retry-After": str(admitted.retry_after_s)},
                         ticket=admitted.to_dict())
        try:
            # Its place is held from here: opening its frame path (in a worker thread) may take a while.
            session = await Session.open(settings, request.app.state.services, self.metrics, admitted)
        except Exception as exc:
            admitted.release()
            self.metrics.offers_rejected.labels("server_error").inc()
            log.exception("could not start a session")
            return error(500, f"the mirror could not start a session: {exc}")
        self.sessions[session.id] = session  # counted (and reaped) from now on, even mid-negotiation
        try:
            answer = await session.accept(parsed)
        except Exception as exc:  # aiortc raises ValueError and friends on SDP it cannot use
            await session.close("offer_failed")
            self.sessions.pop(session.id, None)
            return self._refuse("bad_sdp", 400, f"cannot use this SDP offer: {exc}")
        self.metrics.sessions_total.inc()
        self.metrics.sessions_active.set(len(self.sessions))
        asyncio.ensure_future(self._forget_when_gone(session))
        return JSONResponse(answer.model_dump(exclude_none=True))

    async def _forget_when_gone(self, session: Session) -> None:
        await session.gone.wait()
        self.sessions.pop(session.id, None)
        self.metrics.sessions_active.set(len(self.sessions))
        self._on_gone(session)
