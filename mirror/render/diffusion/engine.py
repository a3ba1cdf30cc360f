"""One diffusion engine per process: the models, the text-embedding cache and the captured steps,
shared by everyone at the mirror. Each person holds a `Seat`.

    engine = DiffusionEngine.load(config)     # start-up, off the event loop: load, warm up, capture (CUDA)
    seat = engine.seat()                       # per person: a few Python objects, no tensors yet (µs)
    out = seat(frame, keypoints, prompt)       # the person's stage thread: waits for the engine's next step
    seat.close()                               # the person leaves
    engine.close()                             # shutdown

A tick. The engine's worker thread waits until some seat holds a frame, takes every seat that does
(a seat holds one frame: its person's thread waits for the answer, so nothing queues and the frame
is always that person's newest), and steps them all at once:
    per person  frame (H, W, 3) uint8 → the device (CUDA: from pinned memory) → ingested into row i
                at the working size; their first frame (or a new working shape) primes their
                feedback with that frame's own latent; their fixed noise, previous x̂₀, blended
                prompt embedding and keypoints into row i
    the batch   step.py over the rows (on CUDA the graph of the smallest captured batch size that
                fits: spare rows hold stale data and are ignored, rows never mix)
    per person  x̂₀ of row i → their feedback; row i emitted at their own frame size → host
then waits once (a blocking event: the thread sleeps, it does not spin) and hands every person
their frame. A frame that arrives during a step goes into the next one: it waits at most one step
for others. People whose frames have different working shapes (a 16:9 camera beside a 4:3 one)
are stepped one shape after the other.

Per person (Seat): the fixed noise (from its seed), the feedback latent, the prompt embedding and
its glide, the keypoints, and in/out buffers at the person's own frame size. A quality step
changes a person's frame size, not their working shape: new small buffers, the same graph.
Per process: the models, PromptEncoder's cache of embeddings by text and, for each (working shape,
batch size), the StepBuffers and on CUDA the captured graph — all made before the first person.
Only the engine's thread touches the device; a person's thread only fills and reads host buffers.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

import numpy as np
import torch
from torch import Tensor

from gpu_kernels.frame_io import emit_rgb, ingest_rgb
from mirror.render.diffusion import models as model_zoo
from mirror.render.diffusion.config import RANDOM, TINY, DiffusionConfig
from mirror.render.diffusion.prompt import PromptBlend, PromptEncoder
from mirror.render.diffusion.step import NUM_KEYPOINTS, StepBuffers, StepParams, step

if TYPE_CHECKING:
    from mirror.render.diffusion.models import DiffusionModels

log = logging.getLogger(__name__)

WARMUP_STEPS = 3  # before a capture: cuDNN picks its algorithms, Triton compiles, lazy inits run
# A person's thread gives up on a step this late (their stage fails and is reopened). Only a dead
# engine thread gets here (a failing step answers everyone in it at once); generous, because the
# real model on a CPU (--diffusion-device cpu) takes seconds a step, and more for several people.
SEAT_TIMEOUT_S = 60.0

# One CUDA graph capture at a time in the process. In "thread_local" mode a capture forbids unsafe
# calls (cudaMalloc, a sync) only on its own thread, so pose, the codecs and anything else on the
# GPU keep running; two captures at once would still contend for the allocator's capture state.
_CAPTURE_LOCK = threading.Lock()


CPU_THREADS = 1  # torch's intra-op threads for the engine's own thread on a CPU (see _work)


class EngineClosed(RuntimeError):
    """The engine was closed while a person waited for a step, or before they sat down."""


@dataclass
class Batch:
    """One (working shape, batch size): its buffers and, on CUDA, the step captured over them."""

    buffers: StepBuffers
    graph: "torch.cuda.CUDAGraph | None" = None


class DiffusionEngine:
    def __init__(self, models: "DiffusionModels", config: DiffusionConfig,
                 batch_sizes: tuple[int, ...] | None = None) -> None:
        """batch_sizes: what to prepare instead of config.batch_sizes (the tests pad batches on the CPU)."""
        problems = config.problems()
        if problems:
            raise ValueError(problems[0])
        started = time.perf_counter()
        self.models = models
        self.config = config
        self.device = models.device
        self.cuda = self.device.type == "cuda"
        self.params = StepParams.of(models, config)
        self.encoder = PromptEncoder(models.tokenizer, models.text_encoder)  # everyone's embeddings, cached by text
        graphs = self.cuda and config.compile
        self.batch_sizes = tuple(sorted(batch_sizes)) if batch_sizes else config.batch_sizes(graphs)
        self.captures = 0  # graphs captured, all at start-up
        self.capture_failures: list[str] = []  # batches that run eagerly instead, and why
        self.batches: dict[tuple[tuple[int, int], int], Batch] = {
            (shape, size): Batch(StepBuffers.allocate(models, shape, size, self.params.timestep))
            for shape in config.working_shapes() for size in self.batch_sizes}
        self._seats: list[Seat] = []
        self._next_seed = config.seed
        self._cond = threading.Condition()
        self._closing = False
        self._stream = None
        if self.cuda:
            torch.backends.cudnn.benchmark = True  # fixed shapes: each convolution's fastest algorithm, found once
            self._stream = torch.cuda.Stream(self.device)  # all the engine's work: graphs cannot run on the default stream
            self._pool = torch.cuda.graph_pool_handle()  # one memory pool for every graph (see _capture)
            # blocking=True: waiting on the event puts the thread to sleep instead of spinning a core
            self._events = {name: torch.cuda.Event(enable_timing=True, blocking=True)
                            for name in ("start", "staged", "stepped", "done")}
        self._warm_up(graphs)
        self._thread = threading.Thread(target=self._work, name="diffusion-engine", daemon=True)
        self._thread.start()
        log.info("diffusion engine ready in %.1f s: %s on %s (%s), working shapes %s, batches %s, %d graphs "
                 "captured%s, timestep %d, ControlNet %s", time.perf_counter() - started, config.model,
                 self.device, str(models.dtype).removeprefix("torch."),
                 ", ".join(f"{w}x{h}" for w, h in config.working_shapes()), self.batch_sizes, self.captures,
                 f" ({len(self.capture_failures)} failed: eager)" if self.capture_failures else "",
                 self.params.timestep, "on" if models.controlnet is not None else "off")

    @classmethod
    def load(cls, config: DiffusionConfig) -> "DiffusionEngine":
        """The models `config.model` names (a local directory, offline; "tiny"; "random"), warmed up."""
        device = config.torch_device()
        dtype = config.torch_dtype(device)
        if config.model == TINY:
            models = model_zoo.tiny(device, dtype, seed=config.seed, controlnet=config.controlnet)
        elif config.model == RANDOM:
            models = model_zoo.real_architectures(device, dtype, seed=config.seed, controlnet=config.controlnet)
        elif config.model:
            models = model_zoo.load(config.model, device, dtype, controlnet=config.controlnet)
        else:
            raise model_zoo.DiffusionWeightsError(
                "no diffusion weights: set --diffusion-model DIR (fetch with `mirror weights fetch`) or `tiny`")
        return cls(models, config)

    # ---- people ------------------------------------------------------------------------------------

    def seat(self, seed: int | None = None) -> "Seat":
        """A place for one person (cheap: no tensors until their first frame). Seeds count up from
        config.seed, so each person's noise is their own."""
        with self._cond:
            if self._closing:
                raise EngineClosed("the diffusion engine is closed")
            if seed is None:
                seed, self._next_seed = self._next_seed, self._next_seed + 1
            seat = Seat(self, seed)
            self._seats.append(seat)
        return seat

    @property
    def people(self) -> int:
        return len(self._seats)

    def close(self) -> None:
        """Stop the worker; anyone still waiting gets EngineClosed. Frees the graphs and buffers."""
        with self._cond:
            self._closing = True
            waiting, self._seats = self._seats, []
            self._cond.notify_all()
        self._thread.join(timeout=SEAT_TIMEOUT_S)
        for seat in waiting:
            seat._fail(EngineClosed("the diffusion engine was closed"))
        self.batches = {}

    def _submit(self, seat: "Seat") -> None:
        with self._cond:
            if self._closing or seat not in self._seats:
                raise EngineClosed("the diffusion engine is closed" if self._closing else "this seat was closed")
            seat._pending = True
            seat._submitted_at = time.perf_counter()
            self._cond.notify()

    def _leave(self, seat: "Seat") -> None:
        with self._cond:
            if seat in self._seats:
                self._seats.remove(seat)
            if seat._pending:  # closed while its frame waited for a step: its thread must not wait on
                seat._pending = False
                seat._fail(EngineClosed("this seat was closed"))

    def _work(self) -> None:
        if not self.cuda:
            # On a CPU the engine shares the cores with every person's frame path: torch's second
            # OpenMP thread spin-waits at each op's barrier while those threads hold the cores.
            torch.set_num_threads(CPU_THREADS)
        while True:
            with self._cond:
                while not self._closing and not any(s._pending for s in self._seats):
                    self._cond.wait()
                if self._closing:
                    return
                ready = [s for s in self._seats if s._pending]
                for seat in ready:
                    seat._pending = False
            try:
                self.step(ready)
            except Exception as exc:  # the people in this step fail this frame; the engine goes on
                log.exception("diffusion: a step for %d people failed", len(ready))
                for seat in ready:
                    seat._fail(exc)

    # ---- the tick ----------------------------------------------------------------------------------

    @torch.inference_mode()
    def step(self, seats: list["Seat"]) -> None:
        """Step every seat's staged frame (`Seat.put`) and hand each their own (`Seat.take`): one
        batch per working shape, in chunks of the largest batch size. The worker calls this; the
        bench and the tests call it directly."""
        groups: dict[tuple[int, int], list[Seat]] = {}
        for seat in seats:
            groups.setdefault(seat.shape, []).append(seat)
        largest = self.batch_sizes[-1]
        for shape, group in groups.items():
            for start in range(0, len(group), largest):
                self._step_group(shape, group[start:start + largest])

    def _step_group(self, shape: tuple[int, int], seats: list["Seat"], profile: bool = False) -> None:
        """One batch: stage each person's row, step (the graph, or eagerly), emit each row. Timings:
        on the CPU each part of the step; on CUDA staging, step and emitting from events read after
        the wait, or (profile) each part of an eager step."""
        started = time.perf_counter()
        batch = self.batches[(shape, next(size for size in self.batch_sizes if size >= len(seats)))]
        b = batch.buffers
        if self.cuda:
            marks: list[tuple[str, torch.cuda.Event]] = []

            def mark(name: str) -> None:
                event = self._events[name] if name in self._events else torch.cuda.Event(enable_timing=True)
                event.record(self._stream)
                marks.append((name, event))

            with torch.cuda.stream(self._stream):
                mark("start")
                for i, seat in enumerate(seats):
                    self._stage_row(b, i, seat)
                mark("staged")
                if batch.graph is not None and not profile:
                    batch.graph.replay()
                    mark("stepped")
                else:
                    step(self.models, b, self.params, mark=mark if profile else None)
                    if not profile:
                        mark("stepped")
                for i, seat in enumerate(seats):
                    self._finish_row(b, i, seat)
                mark("done")
            marks[-1][1].synchronize()  # a blocking-sync event: this thread sleeps until the GPU is done
            names = {"staged": "stage", "stepped": "step", "done": "emit"}
            parts = {names.get(name, name): before.elapsed_time(after) / 1e3
                     for (_, before), (name, after) in zip(marks, marks[1:])}
        else:
            clock = _Clock()
            for i, seat in enumerate(seats):
                self._stage_row(b, i, seat)
            clock.mark("stage")
            step(self.models, b, self.params, mark=clock.mark)
            for i, seat in enumerate(seats):
                self._finish_row(b, i, seat)
            clock.mark("emit")
            parts = clock.parts
        for seat in seats:
            seat._deliver(started, parts)

    def _stage_row(self, b: StepBuffers, i: int, seat: "Seat") -> None:
        """Row i of the batch ← this person's frame, noise, feedback, prompt and keypoints."""
        w, h = b.shape
        frame = seat._device_frame()
        ingest_rgb(frame, (h, w), dtype=b.image.dtype, out=b.image[i:i + 1])  # (1, 3, h, w) in [-1, 1]
        if seat.latent is None or seat.latent.shape[-2:] != (h // 8, w // 8):
            # Their first frame (or a new working shape): fixed noise from their seed, and the
            # feedback starts from this frame's own latent, as there is no previous output yet.
            noise = torch.randn((1, *b.noise.shape[1:]), generator=torch.Generator().manual_seed(seat.seed))
            seat.noise = noise.to(self.device, b.noise.dtype)  # a CPU generator: the same ε on every device
            seat.latent = self.models.vae.encode(b.image[i:i + 1]).latents.clone()  # (1, 4, h/8, w/8)
        b.noise[i:i + 1].copy_(seat.noise)
        b.prev[i:i + 1].copy_(seat.latent)
        if seat.prompt != seat._prompt_in_use:  # a new prompt: encoded once (cached by text), then glided to
            seat._prompt_in_use = seat.prompt
            seat._blend.retarget(self.encoder(seat.prompt))
        seat.embedding = seat._blend.next()  # (1, 77, D)
        b.prompt[i:i + 1].copy_(seat.embedding)
        b.keypoints[i].copy_(seat._keypoints_host, non_blocking=True)

    def _finish_row(self, b: StepBuffers, i: int, seat: "Seat") -> None:
        """This person's feedback ← row i's x̂₀; their frame ← row i, at their own size."""
        seat.latent.copy_(b.x0[i:i + 1])
        out = seat._device_out()
        emit_rgb(b.decoded[i:i + 1], seat.frame_hw, out=out)  # (H, W, 3) uint8
        if self.cuda:
            seat._host_out[seat._turn].copy_(out, non_blocking=True)

    # ---- start-up ----------------------------------------------------------------------------------

    def _warm_up(self, graphs: bool) -> None:
        """Before the first person: every kernel the per-person path launches, once per working
        shape (cuDNN's algorithm search for the priming encode, Triton's compiles), then the graphs."""
        if self.cuda:
            # The weights were moved and the buffers zeroed on the default stream; the engine's
            # stream must not start before that work is done.
            self._stream.wait_stream(torch.cuda.current_stream(self.device))
        for w, h in self.config.working_shapes():
            seat = Seat(self, self.config.seed)  # not seated: nobody waits on it
            frame_w = self.config.frame_width
            frame_h = max(2, round(frame_w * h / w / 2) * 2)  # the configured camera width, this shape
            seat.put(np.zeros((frame_h, frame_w, 3), np.uint8), None, "")
            self.step([seat])
        if graphs:
            for batch in self.batches.values():
                self._capture(batch)

    def _capture(self, batch: Batch) -> None:
        """Warm the step up on the engine's stream, then capture it as one CUDA graph.

        Every graph shares one memory pool: the engine replays one graph at a time on one stream,
        and all a graph keeps between replays lives in StepBuffers (allocated outside any capture),
        so what one graph leaves in the pool is scratch another may reuse."""
        b = batch.buffers
        stream = self._stream
        w, h = b.shape
        try:
            # The buffers were zeroed and filled on the default stream: that work comes first.
            stream.wait_stream(torch.cuda.current_stream(self.device))
            with torch.inference_mode(), torch.cuda.stream(stream):
                for _ in range(WARMUP_STEPS):
                    step(self.models, b, self.params)
            stream.synchronize()
            graph = torch.cuda.CUDAGraph()
            with _CAPTURE_LOCK, torch.inference_mode(), torch.cuda.graph(
                    graph, pool=self._pool, stream=stream, capture_error_mode="thread_local"):
                step(self.models, b, self.params)
            stream.synchronize()
        except Exception as exc:  # the batch still runs, eagerly; said loudly, counted, shown by `mirror check gpu`
            reason = f"{w}x{h} x{b.batch}: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
            self.capture_failures.append(reason)
            log.error("diffusion: capturing the step failed (%s); that batch runs eagerly, slower", reason)
            return
        batch.graph = graph
        self.captures += 1

    # ---- profiling (bench) -------------------------------------------------------------------------

    @torch.inference_mode()
    def profile(self, seats: list["Seat"]) -> dict[str, float]:
        """One step of these seats (staged with `put`, one working shape) run eagerly, part by part:
        seconds per part (CUDA events on CUDA, so not the graph; perf_counter on the CPU)."""
        shapes = {seat.shape for seat in seats}
        if len(shapes) != 1:
            raise ValueError("profile one working shape at a time")
        self._step_group(shapes.pop(), seats, profile=True)
        return {name: seconds for name, seconds in seats[0].timings().items() if name != "wait"}


class Seat:
    """One person's place at the engine: everything that is theirs alone (module docstring).

    Their stage thread calls `seat(frame, keypoints, prompt)`, or `put` and then `take` around an
    `engine.step` of its own (the bench, the tests)."""

    def __init__(self, engine: DiffusionEngine, seed: int) -> None:
        self.seed = seed
        self._engine = engine
        self._blend = PromptBlend(engine.config.blend_frames)
        self.prompt = ""  # the prompt the person asks for (their thread writes it with each frame)
        self._prompt_in_use: str | None = None  # what the glide heads for (the engine's thread)
        self.embedding: Tensor | None = None  # (1, 77, D): what the UNet read for them in the last step
        # The person's thread: their frame's size, its working shape and the host buffers.
        self.frame_hw: tuple[int, int] | None = None
        self.shape: tuple[int, int] | None = None  # (w, h) working size
        self._scale = np.ones(3, np.float32)  # keypoints: frame pixels → working pixels (confidence kept)
        self._frame_host: Tensor | None = None  # (H, W, 3) uint8, pinned on CUDA
        self._keypoints_host: Tensor | None = None  # (18, 3) float32, pinned on CUDA
        self._host_out: list[Tensor] = []  # two (H, W, 3) uint8, used in turn
        self._turn = 0
        # The engine's thread: device tensors.
        self._frame_dev: Tensor | None = None
        self._out_dev: Tensor | None = None
        self.noise: Tensor | None = None  # (1, 4, h/8, w/8), fixed
        self.latent: Tensor | None = None  # (1, 4, h/8, w/8), the previous x̂₀
        # The hand-over.
        self._pending = False
        self._done = threading.Event()
        self._error: BaseException | None = None
        self._submitted_at = 0.0
        self._timings: dict[str, float] = {}

    def __call__(self, image: np.ndarray, keypoints: np.ndarray | None, prompt: str) -> np.ndarray:
        """image: (H, W, 3) uint8; keypoints: (18, 3) [x, y, confidence] in image pixels, or None;
        prompt: the scene's text. Waits for the engine's next step; returns (H, W, 3) uint8, valid
        until the call after next (two buffers in turn: the caller may still hold the last one)."""
        self.put(image, keypoints, prompt)
        self._engine._submit(self)
        if not self._done.wait(SEAT_TIMEOUT_S):
            raise TimeoutError(f"the diffusion engine did not step this frame within {SEAT_TIMEOUT_S:.0f} s")
        return self.take()

    def put(self, image: np.ndarray, keypoints: np.ndarray | None, prompt: str) -> None:
        """Stage the person's next frame in their host buffers (their thread, no device work)."""
        h, w = image.shape[:2]
        if (h, w) != self.frame_hw:
            self._resize(h, w)
        np.copyto(self._frame_host.numpy(), image)
        staged = self._keypoints_host.numpy()
        if keypoints is None:
            staged.fill(0.0)
        else:
            np.multiply(keypoints, self._scale, out=staged)
        self.prompt = prompt
        self._turn ^= 1
        self._error = None
        self._done.clear()

    def take(self) -> np.ndarray:
        """The frame of the last step this seat was in."""
        if self._error is not None:
            raise self._error
        return self._host_out[self._turn].numpy()

    def timings(self) -> dict[str, float]:
        """The last step: seconds waiting for it to start, then its parts (shared with the others in it)."""
        return dict(self._timings)

    def close(self) -> None:
        self._engine._leave(self)

    # ---- the person's thread -----------------------------------------------------------------------

    def _resize(self, h: int, w: int) -> None:
        """A new frame size (a quality step, another camera): new small buffers, same working shape
        unless the frame's shape changed. The device buffers follow on the engine's thread."""
        pinned = self._engine.cuda
        self.frame_hw = (h, w)
        self.shape = self._engine.config.shape_for(w, h)
        self._scale = np.array([self.shape[0] / w, self.shape[1] / h, 1.0], np.float32)
        self._frame_host = torch.zeros((h, w, 3), dtype=torch.uint8, pin_memory=pinned)
        if self._keypoints_host is None:  # here, not in __init__: opening a seat touches no CUDA API
            self._keypoints_host = torch.zeros((NUM_KEYPOINTS, 3), dtype=torch.float32, pin_memory=pinned)
        self._host_out = [torch.zeros((h, w, 3), dtype=torch.uint8, pin_memory=pinned) for _ in range(2)]

    # ---- the engine's thread -----------------------------------------------------------------------

    def _device_frame(self) -> Tensor:
        if not self._engine.cuda:
            return self._frame_host  # the step reads the staged frame in place
        if self._frame_dev is None or tuple(self._frame_dev.shape[:2]) != self.frame_hw:
            self._frame_dev = torch.empty((*self.frame_hw, 3), dtype=torch.uint8, device=self._engine.device)
        self._frame_dev.copy_(self._frame_host, non_blocking=True)
        return self._frame_dev

    def _device_out(self) -> Tensor:
        if not self._engine.cuda:
            return self._host_out[self._turn]  # emitted straight into the turn's output buffer
        if self._out_dev is None or tuple(self._out_dev.shape[:2]) != self.frame_hw:
            self._out_dev = torch.empty((*self.frame_hw, 3), dtype=torch.uint8, device=self._engine.device)
        return self._out_dev

    def _deliver(self, started: float, parts: dict[str, float]) -> None:
        waited = started - self._submitted_at if self._submitted_at else 0.0
        self._submitted_at = 0.0
        self._timings = {"wait": max(0.0, waited), **parts}
        self._done.set()

    def _fail(self, error: BaseException) -> None:
        if not self._done.is_set():
            self._error = error
            self._done.set()


class _Clock:
    """perf_counter marks → seconds per part."""

    def __init__(self) -> None:
        self.parts: dict[str, float] = {}
        self._last = time.perf_counter()

    def mark(self, name: str) -> None:
        now = time.perf_counter()
        self.parts[name] = self.parts.get(name, 0.0) + now - self._last
        self._last = now
