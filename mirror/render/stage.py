"""The one interface every render stage implements.

A stage takes the frame's pixels, the pose of that frame and the scene snapshot, and returns pixels.
It declares what it needs so the pipeline computes only that (pose? matte? GPU?). The pipeline times
every call and exports the timing per stage; a stage that raises on one frame is logged, counted
and skipped for that frame.

Pixels are always RGB, uint8, (H, W, 3), C-contiguous. A stage may return its input array
unchanged or a new/reused buffer it owns; callers never mutate what a stage returned.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Protocol, runtime_checkable

import numpy as np

if TYPE_CHECKING:
    from pose import Pose
    from world import Scene


@runtime_checkable
class RenderStage(Protocol):
    name: ClassVar[str]
    needs_pose: ClassVar[bool]
    needs_matte: ClassVar[bool]
    needs_gpu: ClassVar[bool]
    # True: the pipeline gives this stage its own worker thread, so the stages before it can work
    # on frame N+1 while this one works on frame N (latest-frame slot in between, never a queue).
    own_thread: ClassVar[bool]

    def render(self, image: np.ndarray, pose: "Pose | None", scene: "Scene") -> np.ndarray: ...

    def close(self) -> None: ...
