"""`mirror status [--url URL] [--token TOKEN] [--json]`: how a running mirror is doing (GET /status).

    mirror status                                   # the mirror this machine's settings point at
    mirror status --url http://kiosk-3:8000 --json  # another one, as JSON

The token is --token or MIRROR_ADMIN_TOKEN. Exit status: 0 answered, 1 not reachable, 2 refused.
"""
from __future__ import annotations

import argparse
import json
import sys
import time

from mirror.server.settings import Settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--url", help="the mirror's address (default: http://MIRROR_HOST:MIRROR_PORT)")
    parser.add_argument("--token", help="the operator's token (env MIRROR_ADMIN_TOKEN)")
    parser.add_argument("--json", action="store_true", help="print the answer as JSON")
    parser.add_argument("--timeout", type=float, default=5.0, help="seconds to wait for an answer")


def default_url(settings: Settings) -> str:
    scheme = "https" if settings.ssl_certfile else "http"
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::", "") else settings.host
    return f"{scheme}://{host}:{settings.port}"


def run(args: argparse.Namespace) -> int:
    import httpx

    settings = Settings.load({"admin_token": args.token})
    url = (args.url or default_url(settings)).rstrip("/")
    try:
        # verify=False: a kiosk's certificate is often self-signed, and the token goes only where it was told.
        headers = {"Authorization": f"Bearer {settings.admin_token}"} if settings.admin_token else {}
        response = httpx.get(url + "/status", headers=headers, timeout=args.timeout, verify=False)
    except httpx.HTTPError as exc:
        print(f"mirror status: cannot reach {url} ({exc})", file=sys.stderr)
        return 1
    if response.status_code in (401, 403):
        print(f"mirror status: {url} refused: {_error(response)}", file=sys.stderr)
        return 2
    if response.status_code != 200:
        print(f"mirror status: {url} answered {response.status_code}: {_error(response)}", file=sys.stderr)
        return 1
    status = response.json()
    print(json.dumps(status, indent=2) if args.json else render(status, url))
    return 0


def _error(response) -> str:
    try:
        return response.json()["error"]
    except Exception:
        return response.text[:200]


def render(status: dict, url: str) -> str:
    """The answer as a few lines an operator reads at a glance."""
    lines = [f"Magic Mirror at {url}: up {_duration(status['uptime_s'])}, kiosk {'on' if status['kiosk'] else 'off'}",
             f"stages: {' → '.join(status['stages']) or 'none'}; speech {'on' if status['speech'] else 'off'}",
             f"sessions: {len(status['sessions'])}"]
    for s in status["sessions"]:
        presence = f"  {s['presence']}" if s["presence"] else ""
        lines.append(f"  {s['id']}  {s['fps']:5.1f} fps  frames {s['frames_in']} in / {s['frames_out']} out"
                     f"{presence}  scene v{s['scene_version']}")
    if status["stage_health"]:
        lines.append("stage health (live sessions):")
        for name, h in status["stage_health"].items():
            state = "restarting" if h["restarting"] else "ok"
            last = f"  last: {h['last_error']}" if h["last_error"] else ""
            lines.append(f"  {name:<12} {state:<10} {h['errors']} frames failed, {h['restarts']} restarts{last}")
    clips = status["clips"]
    lines.append(f"clips: {clips['count']}, {clips['disk_bytes'] / 1e6:.1f} MB on disk")
    if status["last_errors"]:
        lines.append("last errors (newest first):")
        for e in status["last_errors"]:
            when = time.strftime("%H:%M:%S", time.localtime(e["at"]))
            lines.append(f"  {when} {e['level']:<7} {e['logger']}: {e['message']}")
    else:
        lines.append("last errors: none")
    return "\n".join(lines)


def _duration(seconds: float) -> str:
    minutes, s = divmod(int(seconds), 60)
    hours, m = divmod(minutes, 60)
    return f"{hours} h {m:02d} min" if hours else f"{m} min {s:02d} s"
