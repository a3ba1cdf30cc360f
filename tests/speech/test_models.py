"""Which whisper model, from which installed package: nothing is fetched, and a missing or broken
model says what to install."""
from __future__ import annotations

import shutil

import numpy as np
import pytest

from speech import models
from speech.models import WhisperModelError, load_whisper, whisper_source
from tests.speech_audio import silence, speak


def test_the_default_is_base_joined_in_memory_from_its_two_packages():
    source = whisper_source()
    parts = [models._package_data(package) / f"model.bin.part{i + 1}" for i, package in enumerate(models.BASE_PARTS)]
    assert source.name == "whisper-base" and set(source.files) == {"model.bin", *models.BASE_FILES}
    assert source.files["model.bin"] == b"".join(part.read_bytes() for part in parts)
    assert len(source.files["model.bin"]) == sum(part.stat().st_size for part in parts) > 100_000_000


def test_base_loads_as_a_multilingual_model_and_tiny_en_as_an_english_one():
    assert load_whisper("base", threads=1).model.is_multilingual
    assert not load_whisper("tiny.en", threads=1).model.is_multilingual


def heard(model, tmp_path) -> str:
    """What `model` (a name or a directory) transcribes of a spoken "give me a sword", lower case."""
    audio = np.concatenate([silence(0.3), speak("give me a sword", tmp_path), silence(0.3)])
    segments, _ = load_whisper(model, threads=2).transcribe(audio, language="en", beam_size=1)
    return " ".join(s.text for s in segments).lower()


def test_either_model_transcribes_speech(tmp_path):
    for name in models.NAMES:
        assert "sword" in heard(name, tmp_path), name


def test_a_directory_a_user_fetched_is_loaded_as_it_is(tmp_path):
    """MIRROR_WHISPER_MODEL=/path: the way to a larger whisper than a package ships. A copy of
    tiny.en's files stands in for a model the user fetched."""
    fetched = tmp_path / "whisper-fetched"
    shutil.copytree(whisper_source("tiny.en").path, fetched)
    assert whisper_source(fetched).path == str(fetched)
    assert "sword" in heard(fetched, tmp_path)


def test_a_missing_package_names_the_package_to_install(monkeypatch):
    monkeypatch.setattr(models, "BASE_PARTS", (models.BASE_PARTS[0], "no_such_whisper_part"))
    with pytest.raises(WhisperModelError, match="pip install no-such-whisper-part"):
        whisper_source("base")


def test_an_unknown_name_is_read_as_a_directory_and_the_error_lists_the_names():
    with pytest.raises(WhisperModelError, match="no faster-whisper model at small .*base, tiny.en"):
        whisper_source("small")


def test_a_directory_without_a_tokenizer_is_refused_before_anything_could_fetch_one(tmp_path):
    (tmp_path / "model.bin").write_bytes(b"x")
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(WhisperModelError, match=r"tokenizer\.json missing"):
        whisper_source(tmp_path)
