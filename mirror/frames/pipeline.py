"""The frame path of one session, from the received video frame to the frame handed to the encoder.

    input slot → [stages …] → slot → [own-thread stage] → … → output slot
                     ↑ newest pose (+ matte), from the pose thread beside the path (mirror/frames/posing.py)

Every arrow is a LatestSlot: a worker always takes the newest frame and a slow step makes the
step before it drop (counted), never queue. A stage marked `own_thread` starts a new worker, so
the composite of frame N+1 overlaps the neural repaint of frame N. Every step's time and the time
a frame waited in each slot (`wait_<slot>`) are recorded on the frame and exported to /metrics.

A stage that fails a frame is skipped for that frame; one that fails RESTART_AFTER_FAILURES frames
in a row is closed and opened again in a thread of its own, while frames flow on without it (the
mirror shows what the stages before it drew). Every failure and restart is logged and counted in
`health` (GET /status) and on /metrics.
"""
from __future__ import annotations

import logging
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

import av
import cv2
import numpy as np

from mirror.frames import quality as output_size
from mirror.frames.posing import InlinePose, PoseSource, PoseThread
from mirror.frames.quality import AdaptiveQuality
from mirror.frames.slot import LatestSlot, SlotClosed, Snapshot
from mirror.render.registry import provided_by_others, stage_class
from mirror.render.stage import RenderStage, StageContext
from mirror.rtc.yuv import rgb_from_video, video_from_rgb

if TYPE_CHECKING:
    from mirror.events import Event
    from mirror.render.stage import SharedStages
    from mirror.server.metrics import Metrics
    from mirror.server.services import Services
    from mirror.server.settings import Settings
    from pose import Pose
    from world import Catalog, Scene

log = logging.getLogger(__name__)

# Failures in a row that make a stage broken rather than unlucky on one frame: it is restarted.
RESTART_AFTER_FAILURES = 3
# Seconds before each restart of a stage that failed again without drawing a frame in between: a
# crash is retried at once, a stage that cannot work is not reopened thirty times a second.
RESTART_BACKOFF_S = (0.0, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0)
# Frames the output rate is measured over (~3 s at 30 fps).
FPS_WINDOW = 90


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


@dataclass
class StageHealth:
    """How one stage of the pipeline is doing, for the operator (GET /status) and the log."""

    name: str
    state: str = "ok"  # ok | restarting (frames skip it meanwhile)
    errors: int = 0  # frames it failed on
    failing: int = 0  # of those, in a row, up to now
    restarts: int = 0  # times it was closed and opened again
    restart_failures: int = 0  # times opening it again failed
    streak: int = 0  # restarts since it last drew a frame: how long to wait before the next
    last_error: str = ""
    last_error_at: float | None = None  # time.time(): the operator reads it as a date

    def failed(self, exc: BaseException) -> None:
        self.errors += 1
        self.failing += 1
        self.last_error = f"{type(exc).__name__}: {exc}"[:300]
        self.last_error_at = time.time()

    def to_dict(self) -> dict:
        return {"state": self.state, "errors": self.errors, "restarts": self.restarts,
                "restart_failures": self.restart_failures, "last_error": self.last_error or None,
                "last_error_at": self.last_error_at}


class FramePipeline:
    def __init__(
        self,
        stages: list[RenderStage],
        scene: Snapshot["Scene"],
        *,
        size: tuple[int, int] | None = None,
        quality: AdaptiveQuality | None = None,
        pose_factory: Callable[[], object] | None,
        pose_every: int = 1,
        pose_thread: bool = False,
        metrics: "Metrics | None" = None,
        session: str = "",
        need_pose: bool = False,
        settings: "Settings | None" = None,
        catalog: "Catalog | None" = None,
        shared: "SharedStages | None" = None,
    ) -> None:
        """scene: the person's scene as its owner publishes it; each frame takes the newest.
        need_pose: run pose even if no stage needs it (a kiosk tells presence from it).
        settings, catalog, shared: what a broken stage is opened again with; without the first two
        it is only skipped."""
        if (size is None) == (quality is None):
            raise ValueError("give either a fixed output size or an AdaptiveQuality")
        # The output size: exactly `size` (benches, tests), or the camera's fitted into the quality
        # loop's current box (sessions; mirror/frames/quality.py).
        self.size = size
        self.quality = quality
        self.scene = scene
        self._metrics = metrics
        self._session = session
        self.stages = stages  # a restarted stage's new instance replaces the old one in place
        self.health = [StageHealth(s.name) for s in stages]
        self._context = StageContext(settings, catalog, shared=shared) \
            if settings is not None and catalog is not None else None
        self._closing = threading.Event()
        self._restarters: list[threading.Thread] = []
        self._sent_at: deque[float] = deque(maxlen=FPS_WINDOW)
        needs_pose = need_pose or any(s.needs.pose or s.needs.matte for s in stages)
        needs_matte = any(s.needs.matte for s in stages)
        self._pose: PoseSource | None = None
        if needs_pose and pose_factory:
            source = PoseThread if pose_thread else InlinePose
            self._pose = source(pose_factory, pose_every, needs_matte, self._observe)
        self.errors = 0

        # Split the stages into segments (of indices into self.stages), one worker thread each.
        segments: list[list[int]] = [[]]
        for i, stage in enumerate(stages):
            if stage.own_thread and segments[-1]:
                segments.append([])
            segments[-1].append(i)
        self.input: LatestSlot[Frame] = LatestSlot("input")
        self.slots = [self.input]
        for i in range(len(segments) - 1):
            self.slots.append(LatestSlot(f"after_{stages[segments[i][-1]].name}"))
        self.output: LatestSlot[Frame] = LatestSlot("output")
        self.slots.append(self.output)
        self._threads = [
            threading.Thread(
                target=self._work, args=(i, segment), name=f"mirror-{session}-{i}", daemon=True
            )
            for i, segment in enumerate(segments)
        ]
        self._seq = 0
        self.rendering: tuple[int, int] | None = None  # the size frames are rendered at now
        self._rendering_box: tuple[int, int] | None = None  # the quality loop's box it was fitted into
        for thread in self._threads:
            thread.start()

    @classmethod
    def for_session(cls, session: str, settings: "Settings", services: "Services", metrics: "Metrics",
                    publish: Callable[["Event"], None]) -> "FramePipeline":
        """One person's frame path: their stages opened (cheap: what is heavy is the process's,
        in `services.shared_stages`), pose where a stage or the kiosk needs it, the output size
        following the camera, its steps published as events. Starts worker threads: call it off
        the event loop."""
        from world import Scene

        stages = services.plan.open(settings, services.catalog, services.shared_stages)
        pose_factory = None
        if settings.kiosk or any(s.needs.pose or s.needs.matte for s in stages):
            from pose.estimator import PoseEstimator

            pose_factory = PoseEstimator
        return cls(stages, Snapshot(Scene.empty()), quality=output_size.for_settings(settings, publish),
                   pose_factory=pose_factory, pose_every=settings.pose_every, pose_thread=settings.pose_thread,
                   metrics=metrics, session=session, need_pose=settings.kiosk, settings=settings,
                   catalog=services.catalog, shared=services.shared_stages)

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

    def fps(self) -> float:
        """Frames handed to the output over the last few seconds, per second (0 when none lately)."""
        sent = list(self._sent_at)
        if len(sent) < 2 or time.monotonic() - sent[-1] > 1.0:
            return 0.0
        return (len(sent) - 1) / (sent[-1] - sent[0])

    def close(self) -> None:
        self._closing.set()
        for slot in self.slots:
            slot.close()
        for thread in self._threads + self._restarters:
            thread.join(timeout=2)
        if self._pose:
            self._pose.close()
        for stage, health in zip(self.stages, self.health):
            if health.state == "restarting":  # its restarter closed it (and closes what it opened)
                continue
            try:
                stage.close()
            except Exception:  # a stage failing to close must not stop the others
                log.exception("closing stage %s", stage.name)

    # ---- worker threads ----
    def _work(self, index: int, segment: list[int]) -> None:
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
            busy_since = time.perf_counter()
            try:
                if index == 0:
                    self._prepare(frame)
                for i in segment:
                    self._run_stage(i, frame)
                if last:
                    started = time.perf_counter()
                    # Convert to the encoder's format here, off the event loop.
                    frame.output = video_from_rgb(frame.image)
                    self._timed(frame, "to_yuv", started)
                frame.timings[f"busy_{index}"] = time.perf_counter() - busy_since
                if last and self.quality is not None:
                    # The busiest worker bounds the frame rate: that is what the quality loop watches.
                    self.quality.observe(max(v for k, v in frame.timings.items() if k.startswith("busy_")))
            except Exception:
                self.errors += 1
                log.exception("frame %d failed in worker %d; skipped", frame.seq, index)
                continue
            frame.slotted_at = time.monotonic()
            if last:
                self._sent_at.append(frame.slotted_at)
            if outbox.put(frame) and self._metrics and not last:
                self._metrics.frames_dropped.labels(self._session, outbox.name).inc()

    def _prepare(self, frame: Frame) -> None:
        started = time.perf_counter()
        image = rgb_from_video(frame.source)
        frame.source = None
        w, h = self.size or self.quality.size_for((image.shape[1], image.shape[0]))
        if (w, h) != self.rendering:
            self._rendering_changed((w, h))
        if image.shape[1] != w or image.shape[0] != h:
            image = cv2.resize(image, (w, h), interpolation=cv2.INTER_AREA)
        frame.image = np.ascontiguousarray(image)
        self._timed(frame, "from_yuv", started)
        frame.scene = self.scene.value
        if self._pose is not None:
            started = time.perf_counter()
            frame.pose = self._pose.pose_for(frame.image, frame.received_at)
            # Time this frame spent getting its pose: the whole run inline, ~0 from the pose thread.
            self._timed(frame, "pose_wait", started)

    def _rendering_changed(self, size: tuple[int, int]) -> None:
        """Every size this session renders at is known on /metrics, with what changed it."""
        box = self.quality.boxes[self.quality.level] if self.quality is not None else None
        if self._metrics:
            if self.rendering is not None:
                self._metrics.render_size_changes.labels("quality" if box != self._rendering_box else "camera").inc()
            self._metrics.render_width.labels(self._session).set(size[0])
            self._metrics.render_height.labels(self._session).set(size[1])
        log.info("session %s renders at %dx%d", self._session, *size)
        self.rendering, self._rendering_box = size, box

    def _run_stage(self, index: int, frame: Frame) -> None:
        health = self.health[index]
        if health.state != "ok":  # being restarted: the frame goes on as the stages before drew it
            return
        stage = self.stages[index]
        started = time.perf_counter()
        try:
            if stage.needs.planes:
                frame.image = stage.render(frame.image, frame.pose, frame.scene, planes=frame.planes)
            else:
                frame.image = stage.render(frame.image, frame.pose, frame.scene)
        except Exception as exc:
            self.errors += 1
            health.failed(exc)
            if self._metrics:
                self._metrics.stage_errors.labels(stage.name).inc()
            log.exception("stage %s failed on frame %d; skipped for this frame", stage.name, frame.seq)
            if health.failing >= RESTART_AFTER_FAILURES and self._context is not None:
                self._restart(index)
            return
        health.failing = health.streak = 0
        self._timed(frame, stage.name, started)
        for step, seconds in stage.timings().items():
            self._observe(f"{stage.name}.{step}", seconds)

    # ---- restarting a broken stage ----
    def _restart(self, index: int) -> None:
        """On the stage's worker: take it out of the path and reopen it in a thread of its own."""
        health = self.health[index]
        health.state = "restarting"
        delay = RESTART_BACKOFF_S[min(health.streak, len(RESTART_BACKOFF_S) - 1)]
        health.streak += 1
        log.error("stage %s failed %d frames in a row (%s); restarting it in %.1f s, frames go on without it",
                  health.name, health.failing, health.last_error, delay)
        thread = threading.Thread(target=self._reopen, args=(index, delay), daemon=True,
                                  name=f"mirror-{self._session}-restart-{health.name}")
        self._restarters = [t for t in self._restarters if t.is_alive()] + [thread]
        thread.start()

    def _reopen(self, index: int, delay: float) -> None:
        health, old = self.health[index], self.stages[index]
        try:
            old.close()
        except Exception:
            log.exception("closing the broken stage %s", health.name)
        context = StageContext(self._context.settings, self._context.catalog, provided_by_others(self.stages, index),
                               self._context.shared)
        attempt = 0
        while not self._closing.wait(delay):
            try:
                stage = stage_class(health.name).open(context)
            except Exception:
                health.restart_failures += 1
                attempt += 1
                delay = RESTART_BACKOFF_S[min(health.streak + attempt, len(RESTART_BACKOFF_S) - 1)]
                log.exception("reopening stage %s failed; trying again in %.1f s", health.name, delay)
                continue
            if self._closing.is_set():  # the session ended while it opened
                stage.close()
                return
            self.stages[index] = stage  # before the state: the worker reads the stage only when ok
            health.restarts += 1
            health.failing = 0
            health.state = "ok"
            if self._metrics:
                self._metrics.stage_restarts.labels(health.name).inc()
            log.warning("stage %s restarted (%d restarts in this session)", health.name, health.restarts)
            return

    def _timed(self, frame: Frame, step: str, started: float) -> None:
        elapsed = time.perf_counter() - started
        frame.timings[step] = elapsed
        self._observe(step, elapsed)

    def _observe(self, step: str, seconds: float) -> None:
        if self._metrics:
            self._metrics.stage_seconds.labels(step).observe(seconds)
