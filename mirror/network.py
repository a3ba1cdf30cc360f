"""Process-wide WebRTC set-up, done once before the first peer connection: which addresses ICE
offers, the marker-bit receive fix's compatibility check and the encoder's low-latency settings."""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from mirror.settings import Settings


def configure_webrtc(settings: "Settings") -> Callable[[], None]:
    """Apply the process-wide WebRTC settings; returns the function that undoes the ICE restriction
    (the server calls it when it stops, so a process that runs several servers, like the tests,
    starts each from aioice's own behaviour)."""
    from mirror.encoder import configure_low_latency_encoding
    from mirror.jitter import check_supported
    from mirror.loopback import restrict_host_addresses, unrestrict_host_addresses

    if settings.rtp_marker_completion:
        check_supported()
    configure_low_latency_encoding(settings)
    if settings.ice_addresses:
        restrict_host_addresses(settings.ice_addresses)
        return unrestrict_host_addresses
    return lambda: None
