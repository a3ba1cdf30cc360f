"""Files go through the same VAD + segmenter path as live audio: `transcribe_file` and `mirror transcribe`."""
from __future__ import annotations

import json
from pathlib import Path

import av
import numpy as np
import pytest

from tools.cli import main
from speech import transcribe_file
from speech.audio import SAMPLE_RATE
from tools.fake_media import write_wav
from tests.speech_audio import silence, to_rate, transcriber, voices  # noqa: F401 (fixtures)


def two_commands(voices) -> np.ndarray:
    return np.concatenate([silence(0.5), voices("give me a crown"), silence(1.0), voices("make it red", 2),
                           silence(0.5)])


def write_mp3(path: Path, samples16k: np.ndarray, rate: int = 44_100) -> Path:
    """Stereo MP3, as a phone or a browser recording might be."""
    samples = to_rate(samples16k, rate)
    with av.open(str(path), "w") as container:
        stream = container.add_stream("mp3", rate=rate, layout="stereo")
        frame = av.AudioFrame.from_ndarray(np.repeat(samples[None, :], 2, axis=0).astype(np.float32),
                                           format="fltp", layout="stereo")
        frame.sample_rate = rate
        for packet in stream.encode(frame):
            container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return path


def test_a_wav_file_yields_its_utterances_in_order_with_times(tmp_path, transcriber, voices):
    path = write_wav(tmp_path / "two.wav", two_commands(voices), SAMPLE_RATE)
    first, second = transcribe_file(path, transcriber)
    assert "crown" in first.text.lower() and "red" in second.text.lower()
    assert first.start_s == pytest.approx(0.5, abs=0.3)
    assert first.end_s < second.start_s
    assert first.speech_end_at is None and first.transcribed_at is None  # no live clock for files


def test_an_mp3_at_another_rate_reads_the_same(tmp_path, transcriber, voices):
    path = write_mp3(tmp_path / "two.mp3", two_commands(voices))
    texts = [u.text.lower() for u in transcribe_file(path, transcriber)]
    assert len(texts) == 2 and "crown" in texts[0] and "red" in texts[1]


def test_a_file_of_silence_yields_nothing(tmp_path, transcriber):
    path = write_wav(tmp_path / "quiet.wav", silence(3.0), 48_000)
    assert list(transcribe_file(path, transcriber)) == []


def test_mirror_transcribe_prints_json_lines(tmp_path, voices, capsys):
    path = write_wav(tmp_path / "two.wav", two_commands(voices), SAMPLE_RATE)
    assert main(["transcribe", str(path)]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [sorted(line) for line in lines] == [["end_s", "start_s", "text", "transcribe_ms"]] * 2
    assert "crown" in lines[0]["text"].lower() and "red" in lines[1]["text"].lower()
    assert lines[0]["end_s"] < lines[1]["start_s"]


def test_mirror_transcribe_explains_a_file_it_cannot_read(tmp_path, capsys):
    bad = tmp_path / "notes.txt"
    bad.write_text("not audio")
    assert main(["transcribe", str(bad)]) == 2
    assert "cannot read" in capsys.readouterr().err
