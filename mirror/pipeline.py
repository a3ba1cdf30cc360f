"""The frame path of one session, from the received video frame to the frame handed to the encoder.

    input slot → [stages …] → slot → [own-thread stage] → … → output slot
                     ↑ newest pose (+ matte), from the pose thread beside the path (mirror/posing.py)

Every arrow is a LatestSlot: a worker always takes the newest frame and a slow step makes the
step before it drop (counted), never queue. A stage marked `own_thread` starts a new worker, so
the composite of frame N+1 overlaps the neural repaint of frame N. Every step's time and the time
a frame waited in each slot (`wait_<slot>`) are recorded on the frame and exported to /metrics.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

import av
import cv2
import numpy as np

from mirror.posing import InlinePose, PoseSource, PoseThread
from mirror.slot import LatestSlot, SlotClosed
from mirror.render.stage import RenderStage
from mirror.rtc.yuv import rgb_from_video, video_from_rgb

if TYPE_CHECKING:
    from mirror.metrics import Metrics
    from pose import Pose
    from world import Scene

log = logging.getLogger(__name__)


@dataclass
class Frame:
    """One camera frame on its way through the pipeline."""

    seq: int
    received_at: float  # time.monotonic() when the decoded frame left the WebRTC receiver
    source: av.VideoFrame | None = None  # as received; converted by the first worker
    image: np.ndarray | None = None  # RGB uint8 (H, W, 3)
    pose: "Pose | None" = None
    scene: "Scene | None" = None
    output: av.VideoFrame | None = None  # what the output track sends
    timings: dict[str, float] = field(default_factory=dict)  # step name → seconds
    planes: dict[str, np.ndarray] = field(default_factory=dict)  # what stages leave for later ones
    slotted_at: float = 0.0  # time.monotonic() when the frame was last put in a slot

    def waited(self, slot: str) -> float:
        """Record (and return) how long the frame sat in `slot` before being taken."""
        waited = time.monotonic() - self.slotted_at
        self.timings["wait_" + slot] = waited
        return waited


class FramePipeline:
    def __init__(
        self,
        stages: list[RenderStage],
        scene_source: Callable[[], "Scene"],
        *,
        size: tuple[int, int],
        pose_factory: Callable[[], object] | None,
        pose_every: int = 1,
        pose_thread: bool = False,
        metrics: "Metrics | None" = None,
        session: str = "",
    ) -> None:
        self.size = size
        self._scene_source = scene_source
        self._metrics = metrics
        self._session = session
        self.stages = stages
        needs_pose = any(s.needs.pose or s.needs.matte for s in stages)
        needs_matte = any(s.needs.matte for s in stages)
        self._pose: PoseSource | None = None
        if needs_pose and pose_factory:
            source = PoseThread if pose_thread else InlinePose
            self._pose = source(pose_factory, pose_every, needs_matte, self._observe)
        self.errors = 0

        # Split the stages into segments, one worker thread each.
        segments: list[list[RenderStage]] = [[]]
        for stage in stages:
            if stage.own_thread and segments[-1]:
                segments.append([])
            segments[-1].append(stage)
        self.input: LatestSlot[Frame] = LatestSlot("input")
        self.slots = [self.input]
        for i in range(len(segments) - 1):
            self.slots.append(LatestSlot(f"after_{segments[i][-1].name}"))
        self.output: LatestSlot[Frame] = LatestSlot("output")
        self.slots.append(self.output)
        self._threads = [
            threading.Thread(
                target=self._work, args=(i, segment), name=f"mirror-{session}-{i}", daemon=True
            )
            for i, segment in enumerate(segments)
        ]
        self._seq = 0
        for thread in self._threads:
            thread.start()

    # ---- called on the event loop ----
    def submit(self, source: av.VideoFrame, received_at: float | None = None) -> None:
        self._seq += 1
        frame = Frame(seq=self._seq, received_at=received_at or time.monotonic(), source=source)
        frame.slotted_at = time.monotonic()
        if self.input.put(frame) and self._metrics:
            self._metrics.frames_dropped.labels(self._session, "input").inc()

    def dropped(self) -> dict[str, int]:
        dropped = {slot.name: slot.dropped for slot in self.slots}
        if isinstance(self._pose, PoseThread):
            dropped["pose"] = self._pose.dropped
        return dropped

    def close(self) -> None:
        for slot in self.slots:
            slot.close()
        for thread in self._threads:
            thread.join(timeout=2)
        if self._pose:
            self._pose.close()
        for stage in self.stages:
            try:
                stage.close()
            except Exception:  # a stage failing to close must not stop the others
                log.exception("closing stage %s", stage.name)

    # ---- worker threads ----
    def _work(self, index: int, segment: list[RenderStage]) -> None:
        inbox, outbox = self.slots[index], self.slots[index + 1]
        last = index == len(self._threads) - 1
        while True:
            try:
                frame = inbox.take(timeout=0.5)
            except SlotClosed:
                return
            if frame is None:
                continue
            self._observe("wait_" + inbox.name, frame.waited(inbox.name))
            try:
                if index == 0:
                    self._prepare(frame)
                for stage in segment:
                    self._run_stage(stage, frame)
                if last:
                    started = time.perf_counter()
                    # Convert to the encoder's format here, off the event loop.
                    frame.output = video_from_rgb(frame.image)
                    self._timed(frame, "to_yuv", started)
            except Exception:
                self.errors += 1
                log.exception("frame %d failed in worker %d; skipped", frame.seq, index)
                continue
            frame.slotted_at = time.monotonic()
            if outbox.put(frame) and self._metrics and not last:
                self._metrics.frames_dropped.labels(self._session, outbox.name).inc()

    def _prepare(self, frame: Frame) -> None:
        started = time.perf_counter()
        image = rgb_from_video(frame.source)
        frame.source = None
        w, h = self.size
        if image.shape[1] != w or image.shape[0] != h:
            image = cv2.resize(image, (w, h), interpolation=cv2.INTER_AREA)
        frame.image = np.ascontiguousarray(image)
        self._timed(frame, "from_yuv", started)
        frame.scene = self._scene_source()
        if self._pose is not None:
            started = time.perf_counter()
            frame.pose = self._pose.pose_for(frame.image, frame.received_at)
            # Time this frame spent getting its pose: the whole run inline, ~0 from the pose thread.
            self._timed(frame, "pose_wait", started)

    def _run_stage(self, stage: RenderStage, frame: Frame) -> None:
        started = time.perf_counter()
        try:
            if stage.needs.planes:
                frame.image = stage.render(frame.image, frame.pose, frame.scene, planes=frame.planes)
            else:
                frame.image = stage.render(frame.image, frame.pose, frame.scene)
        except Exception:
            self.errors += 1
            if self._metrics:
                self._metrics.stage_errors.labels(stage.name).inc()
            log.exception("stage %s failed on frame %d; skipped for this frame", stage.name, frame.seq)
            return
        self._timed(frame, stage.name, started)
        for step, seconds in stage.timings().items():
            self._observe(f"{stage.name}.{step}", seconds)

    def _timed(self, frame: Frame, step: str, started: float) -> None:
        elapsed = time.perf_counter() - started
        frame.timings[step] = elapsed
        self._observe(step, elapsed)

    def _observe(self, step: str, seconds: float) -> None:
        if self._metrics:
            self._metrics.stage_seconds.labels(step).observe(seconds)
