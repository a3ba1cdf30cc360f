"""Where the mirror listens: is an address loopback, which addresses media binds to, and whether
the HTTP side may run without TLS there.

Media binds where HTTP binds unless told otherwise: a mirror serving http://127.0.0.1 offers ICE
host candidates on 127.0.0.1 only, so its UDP ports are no more reachable than its page (aioice's
default is every interface, whatever the HTTP host). A mirror on a LAN address must serve HTTPS:
browsers give the camera only to secure origins (https, or http on localhost).
"""
from __future__ import annotations

import ipaddress
import socket
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mirror.server.settings import Settings

LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})
EVERY_INTERFACE = frozenset({"", "0.0.0.0", "::"})


def is_loopback(host: str) -> bool:
    host = host.strip().strip("[]").lower()
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def media_addresses(settings: "Settings") -> tuple[str, ...]:
    """The ICE host candidate addresses: the configured ones, else the HTTP host's address, else
    () (every interface, for a server bound to 0.0.0.0 or ::)."""
    if settings.ice_addresses:
        return tuple(settings.ice_addresses)
    host = settings.host.strip().strip("[]")
    if host in EVERY_INTERFACE:
        return ()
    if host.lower() in LOOPBACK_NAMES:
        return ("127.0.0.1",)
    try:
        return (str(ipaddress.ip_address(host)),)
    except ValueError:
        pass
    try:  # a host name: the addresses it resolves to here, as the HTTP server will bind them
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_UDP)
    except OSError as exc:
        raise ValueError(f"cannot resolve the host {host!r} to pick media addresses: {exc}; "
                         "set MIRROR_ICE_ADDRESSES") from None
    return tuple(dict.fromkeys(info[4][0] for info in infos))


def tls_problem(settings: "Settings") -> str | None:
    """One sentence if this host needs HTTPS and the settings do not give it, else None."""
    if is_loopback(settings.host):
        return None
    if settings.ssl_certfile and settings.ssl_keyfile:
        return None
    return (f"refusing to serve {settings.host or 'every interface'} without HTTPS: browsers give the camera only to "
            "secure pages, so pass --ssl-certfile and --ssl-keyfile (docs/operations.md shows how to make them) "
            "or serve on 127.0.0.1")
