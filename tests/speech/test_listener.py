"""The live path: WebRTC-like audio frames pushed into a Listener become utterances in its thread."""
from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from speech import Listener
from speech.audio import SAMPLE_RATE
from tests.speech_audio import frames, silence, to_rate, transcriber, voices, white_noise  # noqa: F401


class Heard:
    """Collects what a Listener delivers, from its worker thread."""

    def __init__(self) -> None:
        self.utterances = []
        self.speech_starts = 0
        self._event = threading.Event()

    def utterance(self, u) -> None:
        self.utterances.append(u)
        self._event.set()

    def speech_start(self) -> None:
        self.speech_starts += 1

    def wait(self, count: int, seconds: float = 60) -> bool:
        deadline = time.monotonic() + seconds
        while len(self.utterances) < count and time.monotonic() < deadline:
            self._event.wait(0.05)
            self._event.clear()
        return len(self.utterances) >= count


def listener_for(transcriber, heard: Heard, **options) -> Listener:
    return Listener(transcriber, heard.utterance, on_speech_start=heard.speech_start, **options)


@pytest.mark.parametrize("rate, channels, fmt", [
    (48_000, 2, "s16"),   # what aiortc delivers from a browser, even for a mono mic
    (44_100, 1, "s16"),
    (48_000, 2, "fltp"),  # planar float, as decoders give
    (16_000, 1, "s16"),
    (8_000, 1, "s16p"),   # narrow-band telephone audio
])
def test_frames_of_any_rate_layout_and_format_become_an_utterance(transcriber, voices, rate, channels, fmt):
    speech16k = np.concatenate([silence(0.3), voices("put me in game of thrones"), silence(0.8)])
    audio = speech16k if rate == SAMPLE_RATE else to_rate(speech16k, rate)
    heard = Heard()
    listener = listener_for(transcriber, heard)
    for frame in frames(audio, rate, channels, fmt=fmt):
        listener.push(frame)
    assert heard.wait(1)  # the end-of-speech silence was pushed: no close() needed
    listener.close()
    (utterance,) = heard.utterances
    assert "thrones" in utterance.text.lower()
    assert heard.speech_starts == 1
    assert utterance.speech_end_at is not None and utterance.transcribed_at >= utterance.speech_end_at
    assert utterance.latency_ms is not None and utterance.transcribe_ms > 0
    assert 0 < utterance.encode_ms < utterance.transcribe_ms  # whisper's encoder, then its decodes
    assert listener.stats.received_s == pytest.approx(len(speech16k) / SAMPLE_RATE, abs=0.05)


def test_two_phrases_a_second_apart_are_two_utterances_in_order(transcriber, voices):
    audio = np.concatenate([silence(0.3), voices("give me a sword"), silence(1.0), voices("make it blue", 1),
                            silence(0.5)])
    heard = Heard()
    listener = listener_for(transcriber, heard)
    for frame in frames(audio, 48_000 // 3, 1):
        listener.push(frame)
    listener.close()
    first, second = heard.utterances
    assert "sword" in first.text.lower() and "blue" in second.text.lower()
    assert first.end_s < second.start_s
    assert listener.stats.utterances == 2 and heard.speech_starts == 2


def test_speech_cut_off_by_the_track_ending_is_still_transcribed(transcriber, voices):
    heard = Heard()
    listener = listener_for(transcriber, heard)
    speech = voices("give me a wizard hat")
    cut = speech[: int(len(speech) * 0.75)]  # the track ends mid-word
    for frame in frames(np.concatenate([silence(0.3), cut])):
        listener.push(frame)
    listener.close()  # the segmenter never saw the end of speech
    (utterance,) = heard.utterances
    assert "wizard" in utterance.text.lower()
    assert utterance.speech_end_at is None and utterance.latency_ms is None


def test_a_muted_track_of_silence_or_noise_makes_no_utterance(transcriber):
    heard = Heard()
    listener = listener_for(transcriber, heard)
    for audio in (silence(3.0), white_noise(3.0, 0.02)):
        for frame in frames(to_rate(audio, 48_000), 48_000, 2):  # pts restart at 0: a renegotiated track
            listener.push(frame)
    listener.close()
    assert heard.utterances == [] and heard.speech_starts == 0
    assert listener.stats.received_s == pytest.approx(6.0, abs=0.05)


def test_a_listener_that_never_hears_anything_closes_cleanly(transcriber):
    listener = Listener(transcriber, lambda u: pytest.fail("no audio, no utterance"))
    listener.close()
    assert listener.stats.received_s == 0 and listener.stats.utterances == 0


def test_a_track_that_stalls_mid_utterance_is_transcribed_without_waiting_for_close(transcriber, voices):
    heard = Heard()
    listener = listener_for(transcriber, heard)
    speech = voices("give me a magic wand")
    for frame in frames(np.concatenate([silence(0.3), speech[: len(speech) * 4 // 5]])):
        listener.push(frame)
    assert heard.wait(1)  # no more audio arrives: flushed after STALL_S
    assert listener.stats.stalls == 1
    assert "wand" in heard.utterances[0].text.lower()
    listener.close()
    assert len(heard.utterances) == 1


def test_a_flood_of_audio_is_bounded_and_counted(transcriber, voices):
    heard = Heard()
    listener = listener_for(transcriber, heard)
    speech = np.concatenate([voices("give me a sword"), silence(0.5)])
    listener.push_samples(speech)  # the worker is now busy transcribing for a few hundred ms
    for _ in range(3000):  # 60 s of audio pushed at once, far faster than real time
        listener.push_samples(silence(0.02))
    backlog = listener.stats.backlog_s
    listener.close()
    stats = listener.stats
    assert backlog <= 30.0 + 0.02
    assert stats.dropped_s > 0
    assert stats.received_s == pytest.approx(60 + len(speech) / SAMPLE_RATE, rel=1e-3)


def test_audio_pushed_after_close_is_ignored(transcriber, voices):
    heard = Heard()
    listener = listener_for(transcriber, heard)
    listener.close()
    for frame in frames(np.concatenate([voices("undo"), silence(0.5)])):
        listener.push(frame)
    assert listener.stats.received_s == 0 and heard.utterances == []


def test_a_failing_handler_does_not_stop_the_listener(transcriber, voices):
    delivered = []

    def handler(u):
        delivered.append(u)
        raise RuntimeError("the session's handler broke")

    listener = Listener(transcriber, handler)
    audio = np.concatenate([silence(0.3), voices("give me a sword"), silence(1.0), voices("make it blue"),
                            silence(0.5)])
    for frame in frames(audio):
        listener.push(frame)
    listener.close()
    assert len(delivered) == 2


@pytest.mark.parametrize("phrase, voice", [("take me to outer space", 1), ("undo", 2), ("make it look like Degas", 3)])
def test_an_utterance_read_during_its_end_silence_equals_its_reading_after_it(voices, phrase, voice):
    from tests.speech_audio import load_transcriber

    transcriber = load_transcriber(n_best=True)  # n-best and the short-command decode, as the server hears
    audio = np.concatenate([silence(0.3), voices(phrase, voice), silence(0.8)])
    readings = {}
    for speculate in (True, False):
        heard = Heard()
        listener = listener_for(transcriber, heard, speculate=speculate,
                                reask=lambda alternatives: "Make it look like Degas. Make it look like Da Vinci.")
        for frame in frames(audio):
            listener.push(frame)
        listener.close()
        (utterance,) = heard.utterances
        readings[speculate] = (utterance.start_s, utterance.end_s, utterance.alternatives, utterance.reasked)
        assert listener.stats.speculative_hits == (1 if speculate else 0)  # read in the pause, used at the end
    assert readings[True] == readings[False]  # the same audio, cut the same way: the same readings


def test_a_pause_the_speaker_talks_through_discards_its_decode(transcriber, voices):
    def trimmed(speech):
        loud = np.flatnonzero(np.abs(speech) > 0.01)
        return speech[loud[0]:loud[-1] + 1]

    # 200 ms: a decode starts at its first quiet window, but it is shorter than the 300 ms that ends speech.
    sword = trimmed(voices("give me a sword"))
    audio = np.concatenate([silence(0.3), sword, silence(0.2), trimmed(voices("and a crown")), silence(0.8)])
    heard = Heard()
    listener = listener_for(transcriber, heard)
    for frame in frames(audio):
        listener.push(frame)
    listener.close()
    (utterance,) = heard.utterances  # one utterance: the decode of "give me a sword" alone was not delivered
    assert "sword" in utterance.text.lower() and "crown" in utterance.text.lower()
    assert utterance.end_s > 0.3 + (len(sword) / SAMPLE_RATE) + 0.2
    stats = listener.stats
    assert stats.speculative_misses >= 1 and stats.speculative_hits == 1 and stats.speculative_wasted_ms >= 0


def test_a_client_slower_than_real_time_is_cut_by_the_audio_not_the_clock(transcriber, voices):
    audio = np.concatenate([silence(0.2), voices("make it blue", 3), silence(0.5)])
    heard = Heard()
    listener = listener_for(transcriber, heard)
    for frame in frames(audio):
        listener.push(frame)
        time.sleep(0.03)  # 20 ms of audio every 30+ ms: two thirds of real time
    assert heard.wait(1)
    listener.close()
    (utterance,) = heard.utterances
    assert "blue" in utterance.text.lower()
    assert utterance.speech_end_at is not None and listener.stats.stalls == 0


def test_a_track_ending_in_a_pause_uses_the_guess_made_in_it(transcriber, voices):
    speech = voices("give me a top hat", 2)
    loud = np.flatnonzero(np.abs(speech) > 0.01)
    heard = Heard()
    listener = listener_for(transcriber, heard)
    for frame in frames(np.concatenate([silence(0.3), speech[: loud[-1] + 1], silence(0.2)])):
        listener.push(frame)
    listener.close()  # 200 ms into the pause: too early for the end of speech, late enough for a guess
    (utterance,) = heard.utterances
    assert "hat" in utterance.text.lower() and utterance.speech_end_at is None
    assert (listener.stats.speculative_hits, listener.stats.speculative_misses) == (1, 0)


def test_a_format_change_mid_stream_keeps_the_utterance_whole(transcriber, voices):
    speech = np.concatenate([silence(0.3), voices("make it look like anime"), silence(0.6)])
    half = len(speech) // 2
    heard = Heard()
    listener = listener_for(transcriber, heard)
    for frame in frames(to_rate(speech[:half], 48_000), 48_000, 2):
        listener.push(frame)
    for frame in frames(to_rate(speech[half:], 44_100), 44_100, 1, fmt="fltp"):  # the sender renegotiated
        listener.push(frame)
    listener.close()
    (utterance,) = heard.utterances
    assert "anime" in utterance.text.lower()
