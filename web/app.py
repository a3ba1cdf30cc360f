"""The HTTP face of the mirror: the page, WebRTC signalling, health and metrics.

    GET  /          the mirror page
    POST /offer     {"sdp", "type": "offer"[, "ticket"]} → {"sdp", "type": "answer", "session"},
                    or 503 + {"ticket": {"id", "position", "retry_after_s"}} while the mirror is full
                    (web/signalling.py: every check an offer passes before a session exists)
    GET  /healthz   liveness + what is loaded
    GET  /ready     200 while a newcomer would be admitted, 503 when full or draining (web/drain.py)
    POST /drain     the operator's SIGTERM: stop admitting, let live sessions run out, exit
    GET  /metrics   Prometheus text format
    GET  /status    the operator's view: sessions, fps, stage health, last errors (web/status.py)
    GET  /sessions  the live sessions (operator: Authorization: Bearer <MIRROR_ADMIN_TOKEN>)
    /c/…, /clips/…  recorded clips (web/clips.py)
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from pathlib import Path

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from mirror.server.admission import Admission
from mirror.server.lifetime import Deadlines, Reaper
from mirror.server.metrics import Metrics
from mirror.server.services import Services
from mirror.session.session import Session
from mirror.server.settings import Settings
from web.binding import media_addresses
from web.clips import clip_routes
from web.drain import Drain, drain_routes
from web.operator import is_operator, refuse_unless_operator
from web.signalling import OfferEndpoint
from web.status import status_routes

log = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "static"
CLIP_RETENTION_EVERY_S = 300


def create_app(settings: Settings, services: Services | None = None) -> Starlette:
    # Media binds where HTTP binds unless MIRROR_ICE_ADDRESSES says otherwise (web/binding.py).
    settings = settings.replace(ice_addresses=media_addresses(settings))
    metrics = Metrics()
    sessions: dict[str, Session] = {}
    admission = Admission(settings.max_sessions, queue_max=settings.queue_max, poll_s=settings.queue_poll_s,
                          ticket_ttl_s=settings.ticket_ttl_s, metrics=metrics)
    reaper = Reaper(sessions, Deadlines.from_settings(settings), settings.reap_interval_s)
    offer = OfferEndpoint(settings, sessions, admission, metrics, on_gone=lambda session: reaper.session_gone())
    drain = Drain(sessions, admission, settings.drain_s)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        from mirror.server.process import ProcessSetUp

        process = ProcessSetUp.apply(settings, metrics.stage_seconds.labels("encode").observe)
        try:
            app.state.services = services or await asyncio.to_thread(Services.load, settings)
            process.freeze_startup_heap()
            retention = asyncio.ensure_future(keep_clips_within_limits(app.state.services))
            reaping = asyncio.ensure_future(reaper.run())
            yield
            retention.cancel()
            reaping.cancel()
            await asyncio.gather(*(s.close("shutdown") for s in list(sessions.values())), return_exceptions=True)
            if services is None:  # what it loaded itself; a test's own services are the test's to close
                await asyncio.to_thread(app.state.services.close)
        finally:
            process.undo()

    async def keep_clips_within_limits(svc: Services) -> None:
        """Retention by age and quota, every few minutes (and at start-up, in Services.load)."""
        while True:
            await asyncio.sleep(CLIP_RETENTION_EVERY_S)
            recording = set().union(*(s.recording.recording_now() for s in sessions.values()))
            try:
                await asyncio.to_thread(svc.clips.prune, recording=recording)
            except OSError:
                log.exception("clip retention failed; trying again later")

    async def index(request: Request) -> Response:
        return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-store"})

    async def healthz(request: Request) -> Response:
        svc: Services = request.app.state.services
        return JSONResponse({
            "ok": True,
            "sessions": len(sessions),
            "stages": list(svc.plan.stages),
            "speech": svc.transcriber is not None,
            "notices": svc.plan.notices,
            "unavailable": {name: a.reason for name, a in svc.plan.availability.items() if not a.ok},
        })

    async def metrics_endpoint(request: Request) -> Response:
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    async def live_sessions(request: Request) -> Response:
        if (refused := refuse_unless_operator(request, settings.admin_token)) is not None:
            return refused
        now = time.monotonic()
        return JSONResponse({
            "cap": admission.cap, "in_use": admission.in_use, "waiting": admission.waiting,
            "sessions": [{
                "id": s.id, "state": s.pc.connectionState, "age_s": round(now - s.clock.started_at, 1),
                "since_media_s": None if s.clock.last_media_at is None else round(now - s.clock.last_media_at, 1),
                "closing": s.closed.is_set(), "frames_in": s.stats.frames_in, "frames_out": s.stats.frames_out,
            } for s in list(sessions.values())],
        })

    app = Starlette(
        routes=[
            *drain_routes(drain, admission, settings.admin_token),
            Route("/", index),
            Route("/offer", offer.handle, methods=["POST"]),
            Route("/healthz", healthz),
            Route("/metrics", metrics_endpoint),
            Route("/sessions", live_sessions),
            *clip_routes(lambda request: request.app.state.services.clips,
                         lambda request: is_operator(request, settings.admin_token), settings.public_url),
            *status_routes(),
            Mount("/static", StaticFiles(directory=STATIC), name="static"),
        ],
        lifespan=lifespan,
    )
    app.state.sessions = sessions
    app.state.metrics = metrics
    app.state.admission = admission
    app.state.drain = drain
    app.state.settings = settings
    return app
