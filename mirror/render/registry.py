"""Every render stage by name, in one place, and the one start-up decision of which ones run.

    plan = StagePlan.decide(settings)                 # once, at start-up: what runs here and why not
    shared = plan.open_shared(settings)               # once, at start-up, off the loop: models, sessions, engines
    stages = plan.open(settings, catalog, shared)     # per session: the stages, opened, in order (cheap)
    ...
    shared.close()                                    # at shutdown, after the last session

Adding a stage is one module with a class that implements `mirror.render.stage.RenderStage` and
one line in STAGES. Entries are "module:Class" strings so that listing the stages imports
nothing heavy (no onnxruntime, no torch) until a stage is checked or opened.
"""
from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Sequence

from mirror.render.stage import Availability, RenderStage, SharedStages, StageContext

if TYPE_CHECKING:
    from mirror.server.settings import Settings
    from world import Catalog

log = logging.getLogger(__name__)

AUTO = "auto"

STAGES: dict[str, str] = {
    "passthrough": "mirror.render.passthrough:Passthrough",
    "skeleton": "mirror.render.skeleton:SkeletonRenderer",
    "composite": "mirror.render.composite:CompositeRenderer",
    "neural": "mirror.render.neural:NeuralRepaint",
    "diffusion": "mirror.render.diffusion:DiffusionStage",
}

# What `auto` runs: the first of these chains whose stages all can run here, best first.
AUTO_CHAINS: tuple[tuple[str, ...], ...] = (
    ("composite", "diffusion"),
    ("composite", "neural"),
    ("composite",),
)


def register(name: str, target: str) -> None:
    """Add a stage ("module:Class") under `name`, e.g. from a plug-in or a test."""
    STAGES[name] = target


def stage_class(name: str) -> type[RenderStage]:
    try:
        target = STAGES[name]
    except KeyError:
        raise ValueError(f"unknown render stage {name!r}: choose from {sorted(STAGES)} or {AUTO!r}") from None
    module, _, attribute = target.partition(":")
    try:
        return getattr(importlib.import_module(module), attribute)
    except AttributeError:
        raise ImportError(f"{module} has no {attribute}") from None


def check(name: str, settings: "Settings") -> Availability:
    """Whether stage `name` can run on this machine with these settings, and if not, why."""
    try:
        cls = stage_class(name)
    except ImportError as exc:  # an optional extra (torch, diffusers) is not installed
        return Availability.no(f"cannot import it ({exc}); install the extra it needs")
    try:
        return cls.available(settings)
    except Exception as exc:  # a broken install must be one sentence, not a crash at start-up
        log.exception("checking stage %s", name)
        return Availability.no(f"its check failed: {exc}")


def provided_by_others(stages: Sequence[RenderStage | type[RenderStage]], index: int) -> frozenset[str]:
    """What the stages of a run other than the `index`-th provide: the `provided` it is opened with."""
    return frozenset().union(*(s.provides for i, s in enumerate(stages) if i != index))


def _optional(name: str) -> bool:
    try:
        return stage_class(name).needs.gpu
    except ImportError:
        return True


@dataclass(frozen=True)
class StagePlan:
    """The start-up decision: which stages run, and why each one that was asked for does not.
    The log, /healthz, the page's notice, `mirror stages` and `mirror snapshot` all read this."""

    requested: tuple[str, ...]
    stages: tuple[str, ...]  # what runs, in order
    availability: dict[str, Availability]  # every stage that was checked

    @classmethod
    def decide(cls, settings: "Settings") -> "StagePlan":
        requested = settings.stages
        checked: dict[str, Availability] = {}

        def ok(name: str) -> bool:
            if name not in checked:
                checked[name] = check(name, settings)
            return checked[name].ok

        if requested == (AUTO,):
            chain = next(c for c in AUTO_CHAINS if all(ok(name) for name in c))
            return cls(requested, chain, checked)
        stages = tuple(name for name in requested if ok(name))
        return cls(requested, stages, checked)

    @property
    def notices(self) -> list[str]:
        """One sentence for the page per stage that was asked for and does not run. Under `auto`,
        a stage that needs a GPU (or an extra that is not installed) is expected to be missing on
        most machines and is only logged."""
        if self.requested == (AUTO,):
            missing = [name for name, a in self.availability.items() if not a.ok and not _optional(name)]
        else:
            missing = [name for name in self.requested if not self.availability[name].ok]
        return [f"The {name} stage is off: {self.availability[name].reason} Showing "
                f"{' + '.join(self.stages) or 'the camera'} instead." for name in missing]

    def log(self) -> None:
        """Once, at start-up: an error per stage that was asked for and does not run."""
        for notice in self.notices:
            log.error(notice)
        for name, availability in self.availability.items():
            if not availability.ok:
                log.info("render stage %s cannot run here: %s", name, availability.reason)
        log.info("render stages: %s (asked for %s)", " → ".join(self.stages) or "none", ",".join(self.requested))

    def open_shared(self, settings: "Settings") -> SharedStages:
        """Once per process, at start-up and off the event loop: what each stage that runs shares
        between sessions (`open_shared`: the style network's session, the diffusion engine with its
        models and captured graphs). Close it at shutdown."""
        opened: dict[str, object] = {}
        try:
            for name in self.stages:
                open_shared = getattr(stage_class(name), "open_shared", None)
                resource = open_shared(settings) if open_shared is not None else None
                if resource is not None:
                    opened[name] = resource
        except BaseException:
            SharedStages(opened).close()
            raise
        return SharedStages(opened)

    def open(self, settings: "Settings", catalog: "Catalog", shared: SharedStages | None = None) -> list[RenderStage]:
        """Per session: the stages, in order, each given what the others provide and the process's
        shared resources (`open_shared`). Without `shared` a stage opens its own (tools, tests)."""
        classes = [stage_class(name) for name in self.stages]
        opened: list[RenderStage] = []
        try:
            for i, cls in enumerate(classes):
                opened.append(cls.open(StageContext(settings, catalog, provided_by_others(classes, i), shared)))
        except BaseException:
            for stage in opened:
                stage.close()
            raise
        return opened


@dataclass(frozen=True)
class OpenedStages:
    stages: list[RenderStage]
    notices: list[str]
    shared: SharedStages = field(default_factory=SharedStages)

    def close(self) -> None:
        """The stages, then what they shared."""
        for stage in self.stages:
            stage.close()
        self.shared.close()


def open_stages(settings: "Settings", catalog: "Catalog") -> OpenedStages:
    """Decide and open in one call, for tools that run stages outside a server (benches, stills):
    the shared resources too, closed with `OpenedStages.close()`."""
    plan = StagePlan.decide(settings)
    shared = plan.open_shared(settings)
    try:
        return OpenedStages(plan.open(settings, catalog, shared), plan.notices, shared)
    except BaseException:
        shared.close()
        raise
