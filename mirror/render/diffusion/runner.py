"""Runs step.py's step for one camera frame size on one device, one frame in flight.

CPU: the step runs eagerly on tensors that share memory with numpy buffers (no copies beyond the
one into the input buffer), timed part by part with perf_counter.

CUDA: the frame and the keypoints go into pinned host buffers and up on a copy stream; the step,
captured once at start-up as a CUDA graph, is replayed on the compute stream once the upload's
event fires; the result comes down on the copy stream into one of two pinned output buffers
(the caller may still hold the previous frame). The host waits once per frame, for the download.
With one frame in flight the copies overlap little (a 640×480 frame is 0.9 MB each way, tens of
microseconds); the side stream keeps them off the compute stream's queue. Timings come from CUDA
events read after that wait, never from inside the step.
"""
from __future__ import annotations

import logging
import time

import numpy as np
import torch
from torch import Tensor

from mirror.render.diffusion.config import DiffusionConfig
from mirror.render.diffusion.models import DiffusionModels
from mirror.render.diffusion.step import NUM_KEYPOINTS, StepBuffers, StepParams, prime, step

log = logging.getLogger(__name__)

WARMUP_STEPS = 3  # before capture: cuDNN picks its algorithms, Triton compiles, lazy inits run


class StepRunner:
    def __init__(self, models: DiffusionModels, config: DiffusionConfig, frame_hw: tuple[int, int]) -> None:
        self.models = models
        self.device = models.device
        self.cuda = self.device.type == "cuda"
        self.frame_hw = frame_hw
        self.params = StepParams.of(models, config)
        self.buffers = StepBuffers.allocate(models, self.params, frame_hw, config.seed)
        h, w = frame_hw
        self._scale = np.array([config.size / w, config.size / h, 1.0], np.float32)  # frame px → working px
        # Host side: the frame and keypoints staged for upload, two output buffers taken in turn.
        self._host_frame = _host((h, w, 3), torch.uint8, pinned=self.cuda)
        self._host_keypoints = _host((NUM_KEYPOINTS, 3), torch.float32, pinned=self.cuda)
        self._host_out = [_host((h, w, 3), torch.uint8, pinned=self.cuda) for _ in range(2)]
        self._turn = 0
        self._primed = False
        self._timings: dict[str, float] = {}
        self._graph: torch.cuda.CUDAGraph | None = None
        if self.cuda:
            torch.backends.cudnn.benchmark = True  # fixed shapes: the fastest algorithm, found once
            self._copy_stream = torch.cuda.Stream(self.device)
            self._compute_stream = torch.cuda.Stream(self.device)
            self._events = {name: torch.cuda.Event(enable_timing=True)
                            for name in ("start", "uploaded", "stepped", "downloaded")}
            if config.compile:
                self._capture()
        else:
            # The step reads the staged frame and keypoints in place and writes the turn's output buffer.
            self.buffers.frame = self._host_frame
            self.buffers.keypoints = self._host_keypoints

    # ---- the live path ----------------------------------------------------------------------------

    @torch.inference_mode()
    def __call__(self, image: np.ndarray, keypoints: np.ndarray | None, prompt: Tensor | None) -> np.ndarray:
        """image: (H, W, 3) uint8 at frame_hw; keypoints: (18, 3) [x, y, conf] in frame pixels or
        None (no pose); prompt: a new (1, 77, D) embedding, or None to keep the last one.
        Returns (H, W, 3) uint8, valid until the call after next."""
        self._stage(image, keypoints)
        self._turn ^= 1
        out = self._host_out[self._turn]
        if self.cuda:
            self._run_cuda(out, prompt)
        else:
            self._run_cpu(out, prompt)
        return out.numpy()

    def timings(self) -> dict[str, float]:
        """The last frame's parts, seconds."""
        return dict(self._timings)

    def reset(self) -> None:
        """Forget the previous output: the next frame's feedback starts from that frame itself."""
        self._primed = False

    def _stage(self, image: np.ndarray, keypoints: np.ndarray | None) -> None:
        if image.shape[:2] != self.frame_hw:
            raise ValueError(f"frame {image.shape[:2]} does not match the runner's {self.frame_hw}")
        np.copyto(self._host_frame.numpy(), image)
        staged = self._host_keypoints.numpy()
        if keypoints is None:
            staged.fill(0.0)
        else:
            np.multiply(keypoints, self._scale, out=staged)

    def _run_cpu(self, out: Tensor, prompt: Tensor | None) -> None:
        b = self.buffers
        b.out = out
        if prompt is not None:
            b.prompt.copy_(prompt)
        if not self._primed:
            prime(self.models, b, self.params)
            self._primed = True
        clock = _Clock()
        step(self.models, b, self.params, mark=clock.mark)
        self._timings = clock.parts

    def _run_cuda(self, out: Tensor, prompt: Tensor | None) -> None:
        b, ev = self.buffers, self._events
        copy, compute = self._copy_stream, self._compute_stream
        # Whatever the caller queued (the prompt's slerp) comes before this frame's work.
        copy.wait_stream(torch.cuda.current_stream(self.device))
        compute.wait_stream(torch.cuda.current_stream(self.device))
        with torch.cuda.stream(copy):
            ev["start"].record(copy)
            b.frame.copy_(self._host_frame, non_blocking=True)
            b.keypoints.copy_(self._host_keypoints, non_blocking=True)
            ev["uploaded"].record(copy)
        with torch.cuda.stream(compute):
            compute.wait_event(ev["uploaded"])
            if prompt is not None:
                b.prompt.copy_(prompt)
            if not self._primed:
                prime(self.models, b, self.params)
                self._primed = True
            if self._graph is not None:
                self._graph.replay()
            else:
                step(self.models, b, self.params)
            ev["stepped"].record(compute)
        with torch.cuda.stream(copy):
            copy.wait_event(ev["stepped"])
            out.copy_(b.out, non_blocking=True)
            ev["downloaded"].record(copy)
        ev["downloaded"].synchronize()
        self._timings = {
            "upload": ev["start"].elapsed_time(ev["uploaded"]) / 1e3,
            "step": ev["uploaded"].elapsed_time(ev["stepped"]) / 1e3,
            "download": ev["stepped"].elapsed_time(ev["downloaded"]) / 1e3,
        }

    def _capture(self) -> None:
        """Warm the step up on the compute stream, then capture it as one CUDA graph."""
        b = self.buffers
        try:
            with torch.inference_mode(), torch.cuda.stream(self._compute_stream):
                for _ in range(WARMUP_STEPS):
                    step(self.models, b, self.params)
            torch.cuda.synchronize(self.device)
            graph = torch.cuda.CUDAGraph()
            with torch.inference_mode(), torch.cuda.graph(graph, stream=self._compute_stream):
                step(self.models, b, self.params)
            torch.cuda.synchronize(self.device)
            self._graph = graph
        except Exception as exc:  # a model that cannot be captured still runs, eagerly
            log.warning("diffusion: CUDA graph capture failed (%s: %s); running the step eagerly",
                        type(exc).__name__, exc)
            self._graph = None
        self._primed = False  # the warm-up frames left their latent behind

    # ---- profiling (bench) --------------------------------------------------------------------------

    @torch.inference_mode()
    def profile(self, image: np.ndarray, keypoints: np.ndarray | None) -> dict[str, float]:
        """One frame run eagerly, part by part: seconds per part (CUDA events on CUDA)."""
        self._stage(image, keypoints)
        b = self.buffers
        if not self.cuda:
            b.out = self._host_out[self._turn]
            clock = _Clock()
            step(self.models, b, self.params, mark=clock.mark)
            return clock.parts
        with torch.cuda.stream(self._compute_stream):
            started = time.perf_counter()
            b.frame.copy_(self._host_frame)
            b.keypoints.copy_(self._host_keypoints)
            torch.cuda.synchronize(self.device)
            upload = time.perf_counter() - started
            marks: list[tuple[str, torch.cuda.Event]] = [("", torch.cuda.Event(enable_timing=True))]
            marks[0][1].record()

            def mark(name: str) -> None:
                event = torch.cuda.Event(enable_timing=True)
                event.record()
                marks.append((name, event))

            step(self.models, b, self.params, mark=mark)
            torch.cuda.synchronize(self.device)
            started = time.perf_counter()
            self._host_out[self._turn].copy_(b.out)
            download = time.perf_counter() - started
        parts = {"upload": upload}
        parts.update({name: before.elapsed_time(after) / 1e3
                      for (_, before), (name, after) in zip(marks, marks[1:])})
        parts["download"] = download
        return parts


class _Clock:
    """perf_counter marks → seconds per part."""

    def __init__(self) -> None:
        self.parts: dict[str, float] = {}
        self._last = time.perf_counter()

    def mark(self, name: str) -> None:
        now = time.perf_counter()
        self.parts[name] = now - self._last
        self._last = now


def _host(shape: tuple[int, ...], dtype: torch.dtype, pinned: bool) -> Tensor:
    return torch.zeros(shape, dtype=dtype, pin_memory=pinned)
