"""The one interface every render stage implements.

A stage takes the frame's pixels, the pose of that frame and the scene snapshot, and returns pixels.
It declares what it needs (pose? matte? a GPU? weights?) so the pipeline computes only that, and
answers once, at start-up, whether it can run on this machine and, if not, why (`available`). What
is heavy and can serve everyone (a model, an inference session, the diffusion engine) it opens once
per process, at start-up (`open_shared(settings)`, collected in `SharedStages`); it is then opened
once per session with a `StageContext` that carries those shared resources, so a session's open is
cheap (well under a millisecond: the event loop may run it), fed frames, and closed. The pipeline
times every call and exports the timing per stage (plus the stage's own steps from `timings()`); a
stage that raises on one frame is logged, counted and skipped for that frame.

No stage knows which stage follows it: what the *other* stages of a run do is given to it as
capabilities (`StageContext.provided`), e.g. "neural_style" (a later stage repaints styles that
have a neural preset), so the composite leaves its own filter off for those.

A stage that declares Needs(planes=True) is called as render(image, pose, scene, planes=...) with
a dict that travels with the frame: what one stage leaves there for a later one (never a field of
a stage, since the stages of one path work on different frames at the same time).

Pixels are always RGB, uint8, (H, W, 3), C-contiguous. A stage may return its input array
unchanged or a new/reused buffer it owns; callers never mutate what a stage returned.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, runtime_checkable

import numpy as np

if TYPE_CHECKING:
    from mirror.server.settings import Settings
    from pose import Pose
    from world import Catalog, Scene

log = logging.getLogger(__name__)

# Planes (Needs.planes): uint8 (H, W) coverage of the props the composite drew in front.
PROPS_ALPHA = "props_alpha"

# Capabilities a stage can provide to the others of its run.
NEURAL_STYLE = "neural_style"  # repaints the styles that name a neural preset
PROMPT_STYLE = "prompt_style"  # paints every style itself, from the scene's prompt


@dataclass(frozen=True)
class Needs:
    """What a stage needs from the pipeline and from the machine."""

    pose: bool = False
    matte: bool = False
    gpu: bool = False
    weights: bool = False
    # Per-frame planes shared along the path: the pipeline calls render(..., planes=dict) where a
    # stage leaves or reads one (e.g. PROPS_ALPHA, so a repaint keeps the props' colours).
    planes: bool = False

    def describe(self) -> str:
        names = ("pose", "matte", "gpu", "weights", "planes")
        return ", ".join(name for name in names if getattr(self, name)) or "-"


@dataclass(frozen=True)
class Availability:
    ok: bool
    reason: str = ""  # when not ok: one sentence that names the fix

    @classmethod
    def yes(cls) -> "Availability":
        return cls(True)

    @classmethod
    def no(cls, reason: str) -> "Availability":
        return cls(False, reason)


class SharedStages:
    """What the stages of a run hold once per process, by stage name: made at start-up by
    `StagePlan.open_shared` (each stage's `open_shared(settings)`), given to every session's stages
    through `StageContext.shared`, closed once at shutdown."""

    def __init__(self, resources: dict[str, Any] | None = None) -> None:
        self._resources = dict(resources or {})

    def get(self, name: str) -> Any | None:
        """Stage `name`'s shared resource, or None (it has none, or it was not opened)."""
        return self._resources.get(name)

    def __contains__(self, name: str) -> bool:
        return name in self._resources

    def close(self) -> None:
        """Close every resource that can be closed, last opened first; one failing does not keep the others."""
        resources, self._resources = self._resources, {}
        for name, resource in reversed(list(resources.items())):
            try:
                if hasattr(resource, "close"):
                    resource.close()
            except Exception:
                log.exception("closing the shared resource of stage %s", name)


@dataclass(frozen=True)
class StageContext:
    """What a stage is opened with."""

    settings: "Settings"
    catalog: "Catalog"
    provided: frozenset[str] = frozenset()  # capabilities the *other* stages of this run provide
    # The process's shared resources (StagePlan.open_shared at start-up); a stage takes its own with
    # shared.get(its name). None: opened outside a server (a tool, a test): a stage opens its own.
    shared: SharedStages | None = None


@runtime_checkable
class RenderStage(Protocol):
    name: ClassVar[str]
    needs: ClassVar[Needs]
    # True: the pipeline gives this stage its own worker thread, so the stages before it can work
    # on frame N+1 while this one works on frame N (latest-frame slot in between, never a queue).
    own_thread: ClassVar[bool]
    provides: ClassVar[frozenset[str]]

    @classmethod
    def available(cls, settings: "Settings") -> Availability: ...

    @classmethod
    def open_shared(cls, settings: "Settings") -> Any | None: ...  # once per process; None: nothing to share

    @classmethod
    def open(cls, context: StageContext) -> "RenderStage": ...

    def render(self, image: np.ndarray, pose: "Pose | None", scene: "Scene") -> np.ndarray: ...

    def timings(self) -> dict[str, float]: ...  # the last frame's own steps, seconds

    def status(self) -> dict: ...  # what it draws now, for the page and tests (e.g. the prompt in use)

    def close(self) -> None: ...


class StageBase:
    """The interface's defaults, for stages to inherit: runs on any machine, shares nothing between
    sessions, opens without arguments, reports no steps of its own, holds nothing to close."""

    needs: ClassVar[Needs] = Needs()
    own_thread: ClassVar[bool] = False
    provides: ClassVar[frozenset[str]] = frozenset()

    @classmethod
    def available(cls, settings: "Settings") -> Availability:
        return Availability.yes()

    @classmethod
    def open_shared(cls, settings: "Settings") -> Any | None:
        return None

    @classmethod
    def open(cls, context: StageContext):
        return cls()

    def timings(self) -> dict[str, float]:
        return {}

    def status(self) -> dict:
        return {}

    def close(self) -> None:
        pass
