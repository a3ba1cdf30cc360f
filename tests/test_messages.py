import json

import pytest

from mirror.events import Caption, Recording
from mirror.messages import BadMessage, CommandMessage, parse_client_message


def test_a_typed_command_is_parsed():
    msg = parse_client_message(json.dumps({"v": 1, "type": "command", "text": "give me a sword"}))
    assert msg == CommandMessage(type="command", text="give me a sword")


@pytest.mark.parametrize(
    "raw, complaint",
    [
        ("not json", "not JSON"),
        ("[1, 2]", "JSON object"),
        (json.dumps({"type": "command", "text": "x"}), "protocol version"),
        (json.dumps({"v": 2, "type": "command", "text": "x"}), "protocol version"),
        (json.dumps({"v": 1, "type": "launch_missiles"}), "invalid message"),
        (json.dumps({"v": 1, "type": "command", "text": ""}), "invalid message: text"),
        (json.dumps({"v": 1, "type": "command", "text": "x", "extra": 1}), "invalid message"),
        ("x" * 10_000, "too large"),
        (b"\xff\xfe\x00", "UTF-8"),
    ],
)
def test_garbage_gets_a_clear_error(raw, complaint):
    with pytest.raises(BadMessage, match=complaint):
        parse_client_message(raw)


def test_server_events_are_versioned_json():
    payload = json.loads(Caption("hello", source="typed").to_wire())
    assert payload == {"v": 1, "type": "caption", "text": "hello", "source": "typed", "timings": {}}


def test_fields_that_are_none_are_left_out_of_an_event():
    assert json.loads(Recording("idle").to_wire()) == {"v": 1, "type": "recording", "state": "idle"}
