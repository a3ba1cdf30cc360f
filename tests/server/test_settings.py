import pytest

from mirror.server.settings import Settings


def test_defaults_run_the_best_stages_the_machine_can_on_loopback_http():
    s = Settings.load(environ={})
    assert (s.host, s.port) == ("127.0.0.1", 8000)
    assert s.stages == ("auto",)


def test_environment_then_flags_override_defaults():
    env = {"MIRROR_PORT": "9001", "MIRROR_STAGES": "skeleton", "MIRROR_SPEECH": "false"}
    s = Settings.load({"port": 9002}, environ=env)
    assert s.port == 9002
    assert s.stages == ("skeleton",)
    assert s.speech is False


@pytest.mark.parametrize(
    "env, complaint",
    [
        ({"MIRROR_PORT": "eighty"}, "port"),
        ({"MIRROR_STAGES": "composite,dreams"}, "unknown render stage"),
        ({"MIRROR_STAGES": "auto,neural"}, "'auto' alone"),
        ({"MIRROR_SPEECH": "maybe"}, "speech"),
        ({"MIRROR_WIDTH": "641"}, "even"),
    ],
)
def test_bad_values_fail_with_a_sentence_naming_the_setting(env, complaint):
    with pytest.raises(ValueError, match=complaint):
        Settings.load(environ=env)
