"""Who may use the operator's routes (the clip list, /status): whoever sends the admin token.

`MIRROR_ADMIN_TOKEN` (Settings.admin_token), sent as `Authorization: Bearer <token>`. With no
token configured, every operator route is refused: there is no default password to leave on.
"""
from __future__ import annotations

import hmac

from starlette.requests import Request
from starlette.responses import JSONResponse


def is_operator(request: Request, admin_token: str) -> bool:
    if not admin_token:
        return False
    sent = request.headers.get("authorization", "")
    return hmac.compare_digest(sent.encode(), f"Bearer {admin_token}".encode())


def refuse_unless_operator(request: Request, admin_token: str) -> JSONResponse | None:
    """None when the request carries the operator's token; otherwise the answer to send: 403 while
    operator routes are off (no token configured), 401 without the right token."""
    if not admin_token:
        return JSONResponse({"error": "operator routes are off: start the mirror with MIRROR_ADMIN_TOKEN set"},
                            status_code=403)
    if not is_operator(request, admin_token):
        return JSONResponse({"error": "send Authorization: Bearer <MIRROR_ADMIN_TOKEN>"}, status_code=401,
                            headers={"WWW-Authenticate": "Bearer"})
    return None
