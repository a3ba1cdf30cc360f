"""Who may start a session: a page of the mirror's own origin (or a configured one), or a client
that is not a browser.

Browsers send Origin on every cross-origin POST (and on same-origin POSTs too), so a request whose
Origin names another site comes from some other page the person has open: refused, or any page on
the web could start sessions with the visitor's camera. No Origin at all means no browser (aiortc,
curl): allowed. A mirror bound to loopback also refuses a Host that is not a loopback name: that
is DNS rebinding, a foreign site whose name was made to resolve to 127.0.0.1.
"""
from __future__ import annotations

from urllib.parse import urlsplit

from web.binding import is_loopback


def origin_allowed(origin: str | None, host: str | None, allowed_origins: tuple[str, ...] = ()) -> bool:
    if origin is None:
        return True
    origin = origin.strip()
    if origin.rstrip("/") in {o.rstrip("/") for o in allowed_origins}:
        return True
    parts = urlsplit(origin)
    if parts.scheme not in ("http", "https") or not parts.netloc or not host:  # "null" included
        return False
    return parts.netloc.lower() == host.strip().lower()


def host_allowed(host: str | None, bound_to_loopback: bool) -> bool:
    """DNS-rebinding guard: on a loopback server only loopback names reach the routes that act."""
    if not bound_to_loopback:
        return True
    if not host:
        return False
    name = host.strip()
    if name.startswith("["):  # [::1]:8000
        name = name[1:].split("]", 1)[0]
    elif name.count(":") == 1:
        name = name.rsplit(":", 1)[0]
    return is_loopback(name)
