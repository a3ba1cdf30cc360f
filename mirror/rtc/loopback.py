"""Choose the addresses aioice offers as ICE host candidates, e.g. only 127.0.0.1.

Why: tests, soaks and benches must keep media on loopback, but aioice (0.10+) deliberately skips
127.0.0.1 and ::1 when it gathers host candidates (`aioice.ice.get_host_addresses`), so a local call
runs over the machine's other interface. aioice has no option for the list of addresses; its
`Connection.gather_candidates` looks `get_host_addresses` up in the `aioice.ice` module at call
time, so replacing that function (process-wide) is the one place to change it. Server-reflexive and
relay candidates are unaffected: pass `iceServers=[]` as well.
"""
from __future__ import annotations

import contextlib
import ipaddress
import logging
from typing import Callable, Iterable, Iterator

import aioice
import aioice.ice

log = logging.getLogger(__name__)

_stock_get_host_addresses: Callable[[bool, bool], list[str]] = aioice.ice.get_host_addresses


def check_supported() -> None:
    """Raise RuntimeError if aioice no longer gathers host addresses through `get_host_addresses`."""
    gather = getattr(getattr(aioice.ice, "Connection", None), "gather_candidates", None)
    if gather is None or "get_host_addresses" not in gather.__code__.co_names:
        version = getattr(aioice, "__version__", "unknown")
        raise RuntimeError(
            f"cannot restrict ICE host candidates with aioice {version}: Connection.gather_candidates "
            "no longer calls aioice.ice.get_host_addresses; update mirror/rtc/loopback.py."
        )


def restrict_host_addresses(addresses: Iterable[str]) -> None:
    """From now on, every aioice connection in this process offers host candidates on exactly
    `addresses` (IPv4 and/or IPv6 literals such as "127.0.0.1"). Call it once at start-up, before
    the first peer connection gathers candidates."""
    chosen = tuple(str(ipaddress.ip_address(a.strip())) for a in addresses)
    if not chosen:
        raise ValueError("restrict_host_addresses needs at least one address (empty = use stock gathering)")
    check_supported()

    def get_host_addresses(use_ipv4: bool, use_ipv6: bool) -> list[str]:
        return [a for a in chosen if (use_ipv4 if ipaddress.ip_address(a).version == 4 else use_ipv6)]

    aioice.ice.get_host_addresses = get_host_addresses
    log.info("ICE host candidates restricted to %s", ", ".join(chosen))


def unrestrict_host_addresses() -> None:
    """Back to aioice's own gathering (every interface except loopback)."""
    aioice.ice.get_host_addresses = _stock_get_host_addresses


@contextlib.contextmanager
def host_addresses(addresses: Iterable[str]) -> Iterator[None]:
    """`restrict_host_addresses` for the duration of a block (tests)."""
    previous = aioice.ice.get_host_addresses
    restrict_host_addresses(addresses)
    try:
        yield
    finally:
        aioice.ice.get_host_addresses = previous
