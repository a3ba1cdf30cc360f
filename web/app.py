"""The HTTP face of the mirror: the page, WebRTC signalling, health and metrics.

    GET  /          the mirror page
    POST /offer     {"sdp", "type": "offer"} → {"sdp", "type": "answer", "session"}
    GET  /healthz   liveness + what is loaded
    GET  /metrics   Prometheus text format
    /c/…, /clips/…  recorded clips (web/clips.py)
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from pathlib import Path

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from mirror import messages
from mirror.metrics import Metrics
from mirror.services import Services
from mirror.session import Session
from mirror.settings import Settings
from web.clips import clip_routes
from web.operator import is_operator

log = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "static"
CLIP_RETENTION_EVERY_S = 300


class BodyTooLarge(Exception):
    pass


async def read_body(request: Request, limit: int) -> bytes:
    """Read at most `limit` bytes; refuse early on Content-Length, and again while streaming."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise BodyTooLarge
    return bytes(body)


def error(status: int, text: str) -> JSONResponse:
    return JSONResponse({"error": text}, status_code=status)


def create_app(settings: Settings, services: Services | None = None) -> Starlette:
    metrics = Metrics()
    sessions: dict[str, Session] = {}

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        from mirror.rtc.network import configure_webrtc

        undo_webrtc = configure_webrtc(settings, metrics.stage_seconds.labels("encode").observe)
        app.state.services = services or await asyncio.to_thread(Services.load, settings)
        retention = asyncio.ensure_future(keep_clips_within_limits(app.state.services))
        yield
        retention.cancel()
        await asyncio.gather(*(s.close() for s in list(sessions.values())), return_exceptions=True)
        undo_webrtc()

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

    async def offer(request: Request) -> Response:
        try:
            body = await read_body(request, settings.max_body_bytes)
        except BodyTooLarge:
            metrics.offers_rejected.labels("too_large").inc()
            return error(413, f"request body larger than {settings.max_body_bytes} bytes")
        try:
            data = json.loads(body)
            parsed = messages.Offer.model_validate(data)
        except (json.JSONDecodeError, UnicodeDecodeError):
            metrics.offers_rejected.labels("malformed").inc()
            return error(400, "body must be JSON: {\"sdp\": \"...\", \"type\": \"offer\"}")
        except ValidationError as exc:
            metrics.offers_rejected.labels("malformed").inc()
            first = exc.errors()[0]
            return error(400, f"invalid offer: {'.'.join(map(str, first['loc'])) or 'body'}: {first['msg']}")
        if len(sessions) >= settings.max_sessions:
            metrics.offers_rejected.labels("busy").inc()
            return error(503, f"the mirror is busy ({settings.max_sessions} people connected); try again soon")
        try:
            session = Session(settings, request.app.state.services, metrics)
        except Exception as exc:
            metrics.offers_rejected.labels("server_error").inc()
            log.exception("could not start a session")
            return error(500, f"the mirror could not start a session: {exc}")
        try:
            answer = await session.accept(parsed)
        except Exception as exc:  # aiortc raises ValueError and friends on SDP it cannot use
            metrics.offers_rejected.labels("bad_sdp").inc()
            log.warning("rejected offer: %s", exc)
            await session.close()
            return error(400, f"cannot use this SDP offer: {exc}")
        sessions[session.id] = session
        metrics.sessions_total.inc()
        metrics.sessions_active.set(len(sessions))

        async def forget() -> None:
            await session.closed.wait()
            sessions.pop(session.id, None)
            metrics.sessions_active.set(len(sessions))

        asyncio.ensure_future(forget())
        return JSONResponse(answer.model_dump())

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

    app = Starlette(
        routes=[
            Route("/", index),
            Route("/offer", offer, methods=["POST"]),
            Route("/healthz", healthz),
            Route("/metrics", metrics_endpoint),
            *clip_routes(lambda request: request.app.state.services.clips,
                         lambda request: is_operator(request, settings.admin_token), settings.public_url),
            Mount("/static", StaticFiles(directory=STATIC), name="static"),
        ],
        lifespan=lifespan,
    )
    app.state.sessions = sessions
    app.state.metrics = metrics
    app.state.settings = settings
    return app
