"""Who may use the operator's routes (the clip list, /status): whoever sends the admin token.

`MIRROR_ADMIN_TOKEN` (Settings.admin_token), sent as `Authorization: Bearer <token>`. With no
token configured, every operator route is refused: there is no default password to leave on.
"""
from __future__ import annotations

import hmac

from starlette.requests import Request


def is_operator(request: Request, admin_token: str) -> bool:
    if not admin_token:
        return False
    sent = request.headers.get("authorization", "")
    return hmac.compare_digest(sent.encode(), f"Bearer {admin_token}".encode())
