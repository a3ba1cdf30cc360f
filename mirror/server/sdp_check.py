"""The shape of an SDP offer, checked on its text before any peer connection, thread or speech
listener exists for it.

What the mirror can use: exactly one video section offering VP8 or H264, at most one audio section
offering opus, PCMU or PCMA, at most one data channel (SCTP), ICE credentials and a DTLS
fingerprint, within size caps a real browser offer is far below (Chromium's audio + video + data
offer is ~5 KB, ~120 lines, ~30 formats per section). Anything else is refused with one sentence;
aiortc only ever sees offers of this shape.
"""
from __future__ import annotations

from dataclasses import dataclass

from mirror.messages import MAX_SDP_CHARS

MAX_LINES = 1_000
MAX_LINE_CHARS = 1_024
MAX_FORMATS = 64  # payload types per media section (RTP has 128 in all)
MAX_CANDIDATES = 64
VIDEO_CODECS = frozenset({"VP8", "H264"})  # what aiortc encodes and decodes
AUDIO_CODECS = frozenset({"OPUS", "PCMU", "PCMA"})
STATIC_AUDIO = {"0": "PCMU", "8": "PCMA"}  # RFC 3551 payload types that need no rtpmap
MEDIA_KINDS = ("video", "audio", "application")


class SdpRejected(ValueError):
    """An offer the mirror will not build a session for; the text says why."""


@dataclass(frozen=True)
class OfferShape:
    video: int
    audio: int
    data: int
    video_codecs: tuple[str, ...]
    audio_codecs: tuple[str, ...]


@dataclass
class _Section:
    kind: str
    proto: str
    formats: list[str]
    codecs: dict[str, str]  # payload type → codec name, upper case


def check_offer_sdp(sdp: str) -> OfferShape:
    """The offer's shape, or SdpRejected. Linear in the text's length, no recursion."""
    if not isinstance(sdp, str):
        raise SdpRejected("the SDP must be text")
    if len(sdp) > MAX_SDP_CHARS:
        raise SdpRejected(f"the SDP is longer than {MAX_SDP_CHARS} characters")
    lines = sdp.replace("\r\n", "\n").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if len(lines) > MAX_LINES:
        raise SdpRejected(f"the SDP has more than {MAX_LINES} lines")
    if not lines or lines[0].strip() != "v=0":
        raise SdpRejected("the SDP must start with v=0")

    sections: list[_Section] = []
    ice_ufrag = ice_pwd = fingerprint = False
    candidates = 0
    for number, line in enumerate(lines, 1):
        if len(line) > MAX_LINE_CHARS:
            raise SdpRejected(f"line {number} is longer than {MAX_LINE_CHARS} characters")
        if any(ord(c) < 0x20 and c != "\t" for c in line):
            raise SdpRejected(f"line {number} holds control characters")
        if len(line) < 2 or line[1] != "=" or not ("a" <= line[0] <= "z"):
            raise SdpRejected(f"line {number} is not an SDP line (x=...)")
        key, value = line[0], line[2:]
        if key == "m":
            sections.append(_media(value, number))
        elif key == "a":
            name, _, rest = value.partition(":")
            if name == "rtpmap" and sections:
                pt, _, encoding = rest.partition(" ")
                sections[-1].codecs[pt.strip()] = encoding.split("/", 1)[0].strip().upper()
            elif name == "ice-ufrag":
                ice_ufrag = True
            elif name == "ice-pwd":
                ice_pwd = True
            elif name == "fingerprint":
                fingerprint = True
            elif name == "candidate":
                candidates += 1
                if candidates > MAX_CANDIDATES:
                    raise SdpRejected(f"the SDP has more than {MAX_CANDIDATES} ICE candidates")

    video = [s for s in sections if s.kind == "video"]
    audio = [s for s in sections if s.kind == "audio"]
    data = [s for s in sections if s.kind == "application"]
    if len(video) != 1:
        raise SdpRejected(f"the offer must carry exactly one camera (video) track, not {len(video)}")
    if len(audio) > 1:
        raise SdpRejected(f"the offer may carry at most one microphone (audio) track, not {len(audio)}")
    if len(data) > 1:
        raise SdpRejected(f"the offer may carry at most one data channel section, not {len(data)}")
    if data and "SCTP" not in data[0].proto.upper():
        raise SdpRejected("the application section must be an SCTP data channel")
    video_codecs = _offered(video[0], {})
    if not video_codecs & VIDEO_CODECS:
        raise SdpRejected(f"the camera track must offer {' or '.join(sorted(VIDEO_CODECS))}")
    audio_codecs: set[str] = set()
    if audio:
        audio_codecs = _offered(audio[0], STATIC_AUDIO)
        if not audio_codecs & AUDIO_CODECS:
            raise SdpRejected(f"the microphone track must offer one of {', '.join(sorted(AUDIO_CODECS))}")
    if not (ice_ufrag and ice_pwd):
        raise SdpRejected("the SDP carries no ICE credentials (a=ice-ufrag, a=ice-pwd)")
    if not fingerprint:
        raise SdpRejected("the SDP carries no DTLS fingerprint (a=fingerprint)")
    return OfferShape(len(video), len(audio), len(data), tuple(sorted(video_codecs & VIDEO_CODECS)),
                      tuple(sorted(audio_codecs & AUDIO_CODECS)))


def _media(value: str, number: int) -> _Section:
    parts = value.split()
    if len(parts) < 4:
        raise SdpRejected(f"line {number}: a media line needs kind, port, protocol and formats")
    kind, port, proto, formats = parts[0], parts[1], parts[2], parts[3:]
    if kind not in MEDIA_KINDS:
        raise SdpRejected(f"line {number}: the mirror takes no {kind!r} media")
    if not port.split("/", 1)[0].isdigit():
        raise SdpRejected(f"line {number}: bad port {port!r}")
    if len(formats) > MAX_FORMATS:
        raise SdpRejected(f"line {number}: more than {MAX_FORMATS} formats")
    return _Section(kind, proto, formats, {})


def _offered(section: _Section, static: dict[str, str]) -> set[str]:
    """Codec names of the section's formats, from its rtpmap lines (or the static table)."""
    return {section.codecs.get(pt) or static.get(pt, "") for pt in section.formats} - {""}
