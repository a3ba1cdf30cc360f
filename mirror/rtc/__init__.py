"""WebRTC media: marker-bit receive, the low-latency encoder, the output track, ICE addresses."""
