"""Render stages are plug-ins: registered by name in one place, decided once at start-up."""
from __future__ import annotations

from typing import ClassVar

import numpy as np
import pytest

from mirror.render import registry
from mirror.render.registry import STAGES, StagePlan, check, register
from mirror.render.stage import Availability, Needs, RenderStage, StageBase, StageContext
from mirror.server.settings import Settings
from world import Scene


class Inverted(StageBase):
    """A stage added by a test: one class and one `register` line, no other stage touched."""

    name: ClassVar[str] = "inverted"
    provides: ClassVar[frozenset[str]] = frozenset({"inverts"})

    def __init__(self, context: StageContext) -> None:
        self.context = context

    @classmethod
    def open(cls, context: StageContext) -> "Inverted":
        return cls(context)

    def render(self, image, pose, scene):
        return 255 - image


class NeedsAMissingGpu(StageBase):
    name: ClassVar[str] = "gpu_only"
    needs: ClassVar[Needs] = Needs(gpu=True)

    @classmethod
    def available(cls, settings) -> Availability:
        return Availability.no("no CUDA device")


@pytest.fixture
def plugins(monkeypatch):
    monkeypatch.setattr(registry, "STAGES", dict(STAGES))
    register("inverted", f"{__name__}:Inverted")
    register("gpu_only", f"{__name__}:NeedsAMissingGpu")
    return registry.STAGES


def test_a_new_stage_is_registered_and_selected_by_name(plugins, catalog):
    settings = Settings.load({"stages": "passthrough,inverted"}, environ={})
    plan = StagePlan.decide(settings)
    assert plan.stages == ("passthrough", "inverted") and plan.notices == []
    passthrough, inverted = plan.open(settings, catalog)
    assert isinstance(inverted, RenderStage)
    image = np.full((4, 4, 3), 10, np.uint8)
    assert (inverted.render(passthrough.render(image, None, Scene.empty()), None, Scene.empty()) == 245).all()


def test_each_stage_is_told_what_the_others_provide_not_who_they_are(plugins, catalog):
    settings = Settings.load({"stages": "inverted"}, environ={})
    (alone,) = StagePlan.decide(settings).open(settings, catalog)
    assert alone.context.provided == frozenset()
    settings = settings.replace(stages=("composite", "inverted"))
    composite, inverted = StagePlan.decide(settings).open(settings, catalog)
    assert composite.provided == frozenset({"inverts"}) and inverted.context.provided == frozenset()


def test_a_stage_that_cannot_run_says_why_and_the_others_run(plugins):
    settings = Settings.load({"stages": "gpu_only,passthrough"}, environ={})
    plan = StagePlan.decide(settings)
    assert plan.stages == ("passthrough",)
    (notice,) = plan.notices
    assert "gpu_only stage is off: no CUDA device" in notice


def test_unknown_stage_names_are_refused_with_the_registered_names():
    with pytest.raises(ValueError, match="composite"):
        Settings.load({"stages": "composite,sparkles"}, environ={})


def test_auto_picks_the_first_chain_that_runs_and_is_quiet_about_missing_gpus(plugins, monkeypatch):
    monkeypatch.setattr(registry, "AUTO_CHAINS", (("passthrough", "gpu_only"), ("passthrough", "inverted")))
    plan = StagePlan.decide(Settings.load(environ={}))
    assert plan.stages == ("passthrough", "inverted")
    assert plan.availability["gpu_only"] == Availability.no("no CUDA device")
    assert plan.notices == []  # a laptop without a GPU is normal, not news for the page


def test_auto_on_this_cpu_machine_runs_the_composite_and_the_neural_repaint():
    assert StagePlan.decide(Settings.load(environ={})).stages == ("composite", "neural")


def test_a_stage_whose_extra_is_not_installed_is_unavailable_not_a_crash(plugins):
    register("missing", "mirror.render.no_such_stage:Nothing")
    availability = check("missing", Settings.load(environ={}))
    assert not availability.ok and "cannot import" in availability.reason


class SharesAModel(StageBase):
    """A stage with a process-wide resource: opened once at start-up, given to every session."""

    name: ClassVar[str] = "shares"
    opened: ClassVar[list] = []

    class Model:
        closed = False

        def close(self) -> None:
            self.closed = True

    def __init__(self, model) -> None:
        self.model = model

    @classmethod
    def open_shared(cls, settings):
        model = cls.Model()
        cls.opened.append(model)
        return model

    @classmethod
    def open(cls, context: StageContext) -> "SharesAModel":
        return cls(context.shared.get(cls.name) if context.shared is not None else cls.Model())


def test_a_stages_process_wide_resource_is_opened_once_and_given_to_every_session(plugins, catalog):
    register("shares", f"{__name__}:SharesAModel")
    SharesAModel.opened.clear()
    settings = Settings.load({"stages": "passthrough,shares"}, environ={})
    plan = StagePlan.decide(settings)
    shared = plan.open_shared(settings)  # start-up
    sessions = [plan.open(settings, catalog, shared) for _ in range(3)]
    (model,) = SharesAModel.opened
    assert all(stages[1].model is model for stages in sessions)
    assert "passthrough" not in shared and shared.get("passthrough") is None  # it shares nothing
    shared.close()  # shutdown
    assert model.closed


def test_tools_that_open_stages_get_and_close_the_shared_resources_too(plugins, catalog):
    register("shares", f"{__name__}:SharesAModel")
    SharesAModel.opened.clear()
    opened = registry.open_stages(Settings.load({"stages": "shares"}, environ={}), catalog)
    (model,) = SharesAModel.opened
    assert opened.stages[0].model is model and not model.closed
    opened.close()
    assert model.closed


def test_the_neural_repaint_shares_one_style_network_between_sessions(catalog):
    settings = Settings.load({"stages": "neural"}, environ={})
    plan = StagePlan.decide(settings)
    shared = plan.open_shared(settings)
    (first,), (second,) = plan.open(settings, catalog, shared), plan.open(settings, catalog, shared)
    network = shared.get("neural").network
    assert first._network is network and second._network is network
    assert first.presets is second.presets
    image = np.full((48, 64, 3), 120, np.uint8)
    scene = Scene.empty().edit(style="van_gogh")
    for stage in (first, second):
        stage._clock = iter(range(100)).__next__  # a second per frame: the style has faded in by the second frame
        stage.render(image, None, scene)
        assert not np.array_equal(stage.render(image, None, scene), image)  # each person paints with it
    shared.close()
