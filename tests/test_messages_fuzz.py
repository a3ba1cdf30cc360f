"""Fuzzing what strangers send: the data-channel parser, the JSON loader, the SDP check and the
interpreter never raise anything but their own refusal, whatever the text (hypothesis; modest
example counts so the file runs in seconds)."""
from __future__ import annotations

import json
import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mirror import messages
from mirror.events import Pong
from mirror.server.sdp_check import SdpRejected, check_offer_sdp
from world import Catalog, Interpreter, Scene

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)
# Text that looks like JSON: brackets, quotes, escapes, numbers and the constants json.loads knows.
jsonish = st.lists(st.sampled_from(['[', ']', '{', '}', '"', '\\', ':', ',', '1', '-', 'e', '.', 'NaN',
                                    'Infinity', 'true', 'null', '"v"', '"type"', '"ping"', '"t"', ' ']),
                   max_size=300).map("".join)


@FUZZ
@given(st.one_of(st.text(max_size=5000), st.binary(max_size=5000), jsonish,
                 json_values.map(lambda v: json.dumps(v))))
def test_the_message_parser_only_ever_refuses(raw):
    try:
        message = messages.parse_client_message(raw)
    except messages.BadMessage:
        return
    assert isinstance(message, (messages.CommandMessage, messages.PingMessage))


@FUZZ
@given(st.one_of(jsonish, st.text(max_size=2000)), st.integers(1, 8))
def test_load_json_only_ever_refuses_and_never_returns_what_dumps_cannot_write(raw, depth):
    try:
        value = messages.load_json(raw, max_depth=depth)
    except messages.BadJson:
        return
    json.dumps(value, allow_nan=False)  # no NaN or infinity got through


@FUZZ
@given(st.floats(allow_nan=True, allow_infinity=True), json_values)
def test_every_event_is_valid_json(t, stats):
    json.loads(Pong(t, stats).to_wire(), parse_constant=pytest.fail)


sdp_lines = st.one_of(
    st.sampled_from(["v=0", "o=- 1 1 IN IP4 0.0.0.0", "s=-", "t=0 0", "m=video 9 UDP/TLS/RTP/SAVPF 96 97",
                     "m=audio 9 UDP/TLS/RTP/SAVPF 111 0", "m=application 9 UDP/DTLS/SCTP webrtc-datachannel",
                     "a=rtpmap:96 VP8/90000", "a=rtpmap:97 H264/90000", "a=rtpmap:111 opus/48000/2",
                     "a=ice-ufrag:abcd", "a=ice-pwd:0123456789abcdef012345", "a=fingerprint:sha-256 AA:BB",
                     "a=candidate:1 1 UDP 1 127.0.0.1 5000 typ host", "m=video 9", "a=rtpmap:", "m=", "a=",
                     "c=IN IP4 0.0.0.0"]),
    st.text(alphabet=string.printable, max_size=80),
)


@FUZZ
@given(st.one_of(st.text(max_size=3000), st.lists(sdp_lines, max_size=60).map("\r\n".join)))
def test_the_sdp_check_only_ever_refuses(sdp):
    try:
        shape = check_offer_sdp(sdp)
    except SdpRejected:
        return
    assert shape.video == 1 and shape.audio <= 1 and shape.data <= 1


@pytest.fixture(scope="module")
def interpreter():
    return Interpreter(Catalog.load())


@settings(max_examples=200, deadline=None)
@given(text=st.one_of(st.text(max_size=300), st.lists(st.sampled_from(
    ["give", "me", "a", "sword", "make", "it", "blue", "bigger", "undo", "put", "in", "space", "and", "not",
     "remove", "the", "crown", "look", "like", "anime", ",", ".", "!", "  ", "\u0301", "\x00"]), max_size=30)
    .map(" ".join)))
def test_the_interpreter_never_raises(interpreter, text):
    interpreter.apply(Scene.empty(), text)
