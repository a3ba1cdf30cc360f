"""The operator's view of a running mirror, for a kiosk nobody watches: GET /status.

    GET /status   Authorization: Bearer <MIRROR_ADMIN_TOKEN>
    → {"uptime_s", "kiosk", "stages", "speech", "sessions": [{"id", "fps", "frames_in", "frames_out",
       "presence", "scene_version", "stage_health"}], "stage_health": {stage: {"errors", "restarts", …}},
       "last_errors": [{"at", "level", "logger", "message"}], "clips": {"count", "disk_bytes"}}

`mirror status` prints the same. The last errors are the newest WARNING-or-worse log records of
this process (a bounded ring, kept from the first time the routes are made).
"""
from __future__ import annotations

import asyncio
import logging
import time
from collections import deque

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from web.operator import refuse_unless_operator

LAST_ERRORS = 20  # enough to see what went wrong lately, small enough to read at a glance


class RecentErrors(logging.Handler):
    """The newest WARNING-or-worse records, formatted once, in a bounded ring."""

    def __init__(self, capacity: int = LAST_ERRORS) -> None:
        super().__init__(logging.WARNING)
        self.records: deque[dict] = deque(maxlen=capacity)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
            if record.exc_info and record.exc_info[1] is not None:
                message += f" ({type(record.exc_info[1]).__name__}: {record.exc_info[1]})"
            self.records.append({"at": record.created, "level": record.levelname, "logger": record.name,
                                 "message": message[:500]})
        except Exception:  # a log handler must never raise into the code that logged
            self.handleError(record)


_recent: RecentErrors | None = None


def recent_errors() -> RecentErrors:
    """The process's one ring of recent errors, attached to the root logger on first use."""
    global _recent
    if _recent is None:
        _recent = RecentErrors()
        logging.getLogger().addHandler(_recent)
    return _recent


def status_routes() -> list[Route]:
    started = time.monotonic()
    errors = recent_errors()

    async def status(request: Request) -> Response:
        state = request.app.state
        if (refused := refuse_unless_operator(request, state.settings.admin_token)) is not None:
            return refused
        services = state.services
        sessions = [describe(s) for s in list(state.sessions.values())]
        disk_bytes, count = await asyncio.to_thread(lambda: (services.clips.disk_usage(), len(services.clips.list())))
        return JSONResponse({
            "uptime_s": round(time.monotonic() - started, 1),
            "kiosk": state.settings.kiosk,
            "stages": list(services.plan.stages),
            "speech": services.transcriber is not None,
            "sessions": sessions,
            "stage_health": stage_totals(sessions),
            "last_errors": list(errors.records)[::-1],  # newest first
            "clips": {"count": count, "disk_bytes": disk_bytes},
        })

    return [Route("/status", status)]


def describe(session) -> dict:
    pipeline = session.pipeline
    return {
        "id": session.id,
        "fps": round(pipeline.fps(), 1),
        "frames_in": session.stats.frames_in,
        "frames_out": session.stats.frames_out,
        "presence": session.kiosk.state if session.kiosk is not None else None,
        "scene_version": session.scene.version,
        "stage_health": {h.name: h.to_dict() for h in pipeline.health},
    }


def stage_totals(sessions: list[dict]) -> dict[str, dict]:
    """Per stage over the live sessions: frames failed, restarts, and how many run now / are restarting."""
    totals: dict[str, dict] = {}
    for session in sessions:
        for name, health in session["stage_health"].items():
            total = totals.setdefault(name, {"errors": 0, "restarts": 0, "restart_failures": 0, "ok": 0,
                                             "restarting": 0, "last_error": None})
            for key in ("errors", "restarts", "restart_failures"):
                total[key] += health[key]
            total[health["state"]] += 1
            total["last_error"] = health["last_error"] or total["last_error"]
    return totals
