"""Process-wide WebRTC set-up, done once before the first peer connection: which addresses ICE
offers, the marker-bit receive fix's compatibility check and the encoder's low-latency settings."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mirror.settings import Settings


def configure_webrtc(settings: "Settings") -> None:
    from mirror.encoder import configure_low_latency_encoding
    from mirror.jitter import check_supported
    from mirror.loopback import restrict_host_addresses

    if settings.rtp_marker_completion:
        check_supported()
    configure_low_latency_encoding(settings)
    if settings.ice_addresses:
        restrict_host_addresses(settings.ice_addresses)
