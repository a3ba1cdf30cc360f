"""Reading a request body from a stranger: a size cap (checked on Content-Length before reading,
and again while reading) and a deadline (a body sent a byte a minute must not hold a connection
and a task for ever)."""
from __future__ import annotations

import asyncio

from starlette.requests import Request


class BodyTooLarge(Exception):
    pass


class BodyTooSlow(Exception):
    pass


async def read_body(request: Request, limit: int, timeout_s: float | None = None) -> bytes:
    """At most `limit` bytes, all of them within `timeout_s`."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge
    body = bytearray()
    try:
        async with asyncio.timeout(timeout_s):
            async for chunk in request.stream():
                body += chunk
                if len(body) > limit:
                    raise BodyTooLarge
    except TimeoutError:
        raise BodyTooSlow from None
    return bytes(body)
