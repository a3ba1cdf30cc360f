"""Fixtures tests share: what Chromium's fake camera and microphone play; the catalog."""
from __future__ import annotations

import numpy as np
import pytest

from tools.fake_media import write_wav, write_y4m
from tools.testclip import clip_frames
from world import Catalog


@pytest.fixture(scope="session")
def camera(tmp_path_factory):
    """The astronaut clip (640×480, 3 s, swaying with known motion) as a 4:2:0 Y4M; Chromium loops it."""
    return write_y4m(tmp_path_factory.mktemp("media") / "astronaut.y4m", (f.image for f in clip_frames(90)))


@pytest.fixture(scope="session")
def silence(tmp_path_factory):
    """A second of silence as a 16-bit WAV, for a microphone that says nothing."""
    return write_wav(tmp_path_factory.mktemp("media") / "silence.wav", np.zeros(16000, np.float32), 16000)


@pytest.fixture(scope="module")
def catalog():
    """The packaged catalog (props, themes, styles, the object library), loaded once per module."""
    return Catalog.load()
