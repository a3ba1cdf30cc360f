"""Process-wide WebRTC set-up, done once before the first peer connection: which addresses ICE
offers, the marker-bit receive fix's compatibility check and the encoder's low-latency settings."""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from mirror.server.settings import Settings


def configure_webrtc(settings: "Settings", observe_encode: Callable[[float], None] | None = None) -> Callable[[], None]:
    """Apply the process-wide WebRTC settings (and report each video encode's duration to
    `observe_encode`); returns the function that undoes them (the server calls it when it stops,
    so a process that runs several servers, like the tests, starts each from aioice's own
    behaviour)."""
    from mirror.rtc.encoder import configure_low_latency_encoding, time_encoding
    from mirror.rtc.jitter import check_supported
    from mirror.rtc.loopback import restrict_host_addresses, unrestrict_host_addresses

    if settings.rtp_marker_completion:
        check_supported()
    configure_low_latency_encoding(settings)
    time_encoding(observe_encode)
    restricted = bool(settings.ice_addresses)
    if restricted:
        restrict_host_addresses(settings.ice_addresses)

    def undo() -> None:
        time_encoding(None)
        if restricted:
            unrestrict_host_addresses()

    return undo
