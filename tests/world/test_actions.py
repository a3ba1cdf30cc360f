"""Recording is asked for in words, and nothing else is mistaken for it."""
import pytest

from world.actions import RECORD_START, RECORD_STOP, action_for


@pytest.mark.parametrize("said, action", [
    ("start recording", RECORD_START),
    ("Start recording!", RECORD_START),
    ("record a clip", RECORD_START),
    ("okay, record me now", RECORD_START),
    ("Record.", RECORD_START),
    ("stop recording", RECORD_STOP),
    ("Stop.", RECORD_STOP),
    ("stop the recording please", RECORD_STOP),
    ("that's enough", RECORD_STOP),
    ("give me a sword", None),
    ("stop the music", None),
    ("make it look like a record cover", None),
    ("put me in Game of Thrones", None),
    ("", None),
])
def test_recording_commands(said, action):
    assert action_for(said) == action
