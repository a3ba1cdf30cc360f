"""Silero VAD + segmenter on real audio: where utterances start and end (no whisper involved)."""
from __future__ import annotations

import numpy as np
import pytest

from speech.audio import SAMPLE_RATE
from speech.stream import SpeechStream
from tests.speech_audio import silence, voices, white_noise, with_noise  # noqa: F401 (fixture)


def segments_of(audio: np.ndarray, chunk: int = 320, **options):
    """Feed audio as 20 ms chunks, as the live path does, then end the stream."""
    starts = []
    stream = SpeechStream(on_speech_start=lambda: starts.append(True), **options)
    segments = []
    for offset in range(0, len(audio), chunk):
        segments += stream.feed(audio[offset:offset + chunk])
    if (last := stream.flush()) is not None:
        segments.append(last)
    return segments, len(starts)


def trimmed(speech: np.ndarray) -> np.ndarray:
    loud = np.flatnonzero(np.abs(speech) > 0.01)
    return speech[loud[0]:loud[-1] + 1]


def test_silence_makes_no_utterance():
    assert segments_of(silence(5.0)) == ([], 0)


@pytest.mark.parametrize("rms", [0.003, 0.03, 0.3])
def test_white_noise_alone_makes_no_utterance(rms):
    assert segments_of(white_noise(5.0, rms)) == ([], 0)


def test_clipped_noise_and_hum_make_no_utterance():
    t = np.arange(5 * SAMPLE_RATE) / SAMPLE_RATE
    hum = 0.5 * np.sin(2 * np.pi * 50 * t) + 0.2 * np.sin(2 * np.pi * 150 * t)
    clipped = np.clip(white_noise(5.0, 1.0), -1, 1)
    assert segments_of(hum.astype(np.float32)) == ([], 0)
    assert segments_of(clipped) == ([], 0)


def test_one_phrase_is_one_utterance_with_its_pre_roll(voices):
    speech = voices("give me a sword")
    audio = with_noise(np.concatenate([silence(1.0), speech, silence(1.0)]), snr_db=20)
    (segment,), starts = segments_of(audio)
    assert starts == 1
    assert segment.complete
    # espeak leaves a little silence around its words; the cut keeps ~200 ms of pre-roll before
    # the VAD's onset and one quiet window after it, so the segment spans the phrase, its last sound
    # included, without the long silences.
    loud = np.flatnonzero(np.abs(speech) > 0.01)
    assert 0.6 <= segment.start_s <= 1.1
    assert 1.0 + loud[-1] / SAMPLE_RATE < segment.end_s <= 1.0 + loud[-1] / SAMPLE_RATE + 0.2
    assert len(segment.audio) == pytest.approx((segment.end_s - segment.start_s) * SAMPLE_RATE, abs=1)


def test_two_phrases_a_second_apart_make_two_utterances(voices):
    audio = np.concatenate([silence(0.3), voices("give me a sword"), silence(1.0), voices("make it blue", 1),
                            silence(0.5)])
    segments, starts = segments_of(audio)
    assert len(segments) == 2 and starts == 2
    assert segments[0].end_s < segments[1].start_s
    assert all(s.complete for s in segments)


def test_a_short_pause_inside_a_phrase_does_not_split_it(voices):
    # espeak pads its output with silence of its own: trim it so the pause is really 150 ms.
    audio = np.concatenate([silence(0.3), trimmed(voices("give me a sword")), silence(0.15),
                            trimmed(voices("and a crown")), silence(0.6)])
    segments, _ = segments_of(audio)
    assert len(segments) == 1


def test_twenty_seconds_of_continuous_speech_is_split_at_the_cap(tmp_path):
    from tests.speech_audio import speak

    text = ("give me a sword and a crown and a cape and a pair of wings then put me in game of thrones with a "
            "dragon flying over the castle and make everything look like an oil painting with bright blue and "
            "gold colours and take me to outer space where the stars shine over a silver rocket and a friendly "
            "parrot sings on my shoulder while I hold a magic wand")
    speech = speak(text, tmp_path, "en-us", 160)
    assert len(speech) >= 19 * SAMPLE_RATE
    segments, _ = segments_of(speech, max_utterance_s=15.0)
    assert len(segments) == 2
    first, second = segments
    # Cut at the cap, at the quietest moment of its last second: between words where possible.
    assert not first.complete and 14.0 <= first.end_s - first.start_s <= 15.0
    assert second.start_s == pytest.approx(first.end_s, abs=1e-9)  # nothing lost or doubled at the cut
    assert second.end_s == pytest.approx(len(speech) / SAMPLE_RATE, abs=0.5)


def test_the_cap_cuts_in_a_gap_between_words_not_through_one(voices):
    def trimmed(speech):
        loud = np.flatnonzero(np.abs(speech) > 0.01)
        return speech[loud[0]:loud[-1] + 1]

    word = trimmed(voices("abracadabra"))  # ~0.8 s without a gap inside
    gap = silence(0.12)  # too short to end an utterance
    audio = np.concatenate([word, gap] * 8)
    segments, _ = segments_of(audio, max_utterance_s=3.0)
    assert len(segments) >= 3
    period = (len(word) + len(gap)) / SAMPLE_RATE
    for segment in segments[:-1]:
        into_period = segment.end_s % period  # where in word+gap the cut fell
        assert into_period >= len(word) / SAMPLE_RATE - 0.05 or into_period <= 0.05, (segment.end_s, period)


def test_speech_cut_off_by_the_end_of_the_stream_is_flushed(voices):
    speech = voices("give me a wizard hat")
    segments, _ = segments_of(np.concatenate([silence(0.3), speech[: len(speech) * 3 // 4]]))
    (segment,) = segments
    assert not segment.complete


def test_chunk_size_does_not_change_the_cut(voices):
    audio = np.concatenate([silence(0.4), voices("take me to outer space", 2), silence(0.6)])
    cuts = {tuple((round(s.start_s, 3), round(s.end_s, 3)) for s in segments_of(audio, chunk=n)[0])
            for n in (160, 320, 441, 512, 4096)}
    assert len(cuts) == 1
