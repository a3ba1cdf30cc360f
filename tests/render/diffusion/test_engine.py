"""One diffusion engine for everyone, on the CPU with the tiny random model: people are stepped in
one batch, each gets exactly what they would get alone, nothing crosses between them, the working
size keeps the camera's shape, and the models load once however many people come."""
from __future__ import annotations

import threading

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("diffusers")

from mirror.render.diffusion import models as model_zoo  # noqa: E402
from mirror.render.diffusion.bench import standing_keypoints  # noqa: E402
from mirror.render.diffusion.config import DiffusionConfig  # noqa: E402
from mirror.render.diffusion.engine import DiffusionEngine, EngineClosed  # noqa: E402
from mirror.render.diffusion.step import pose_sizes  # noqa: E402
from mirror.render.registry import StagePlan  # noqa: E402
from mirror.server.settings import Settings  # noqa: E402
from world import Catalog, Scene  # noqa: E402

W, H = 160, 120


pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def tiny_models():
    return model_zoo.tiny(seed=0)


def config(**changes) -> DiffusionConfig:
    values = dict(model="tiny", device="cpu", size=256, aspects=("4:3", "16:9"), max_batch=4, feedback=0.3,
                  blend_frames=3, frame_width=W, frame_height=H)
    values.update(changes)
    return DiffusionConfig(**values)


@pytest.fixture
def engine(tiny_models):
    engine = DiffusionEngine(tiny_models, config())
    yield engine
    engine.close()


def frames(count: int, seed: int, size: tuple[int, int] = (W, H)) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8) for _ in range(count)]


PEOPLE = {  # seed, prompt, frames' seed: everyone different
    "ana": (11, "a person in a medieval castle throne room", 1),
    "ben": (12, "a person in outer space, in the style of van gogh", 2),
    "chloe": (13, "a person holding a blue sword in a forest", 3),
    "dev": (14, "a person on the sea at night", 4),
}


def run_together(engine: DiffusionEngine, names: list[str], steps: int = 3) -> dict[str, list[np.ndarray]]:
    """Everyone named stepped in one batch per frame; their outputs, frame by frame."""
    seats = {name: engine.seat(PEOPLE[name][0]) for name in names}
    clips = {name: frames(steps, PEOPLE[name][2]) for name in names}
    outputs: dict[str, list[np.ndarray]] = {name: [] for name in names}
    for i in range(steps):
        for name, seat in seats.items():
            seat.put(clips[name][i], standing_keypoints(W, H, i + PEOPLE[name][0]), PEOPLE[name][1])
        engine.step(list(seats.values()))
        for name, seat in seats.items():
            outputs[name].append(seat.take().copy())
    for seat in seats.values():
        seat.close()
    return outputs


# ---- batching -----------------------------------------------------------------------------------------

def test_each_persons_frames_in_a_batch_equal_their_frames_stepped_alone(engine):
    together = run_together(engine, ["ana", "ben", "chloe"])
    for name in ("ana", "ben", "chloe"):
        alone = run_together(engine, [name])[name]
        for batched, single in zip(together[name], alone):
            assert batched.shape == (H, W, 3)
            # fp32 convolutions of a batch may sum in another order: a level at most, and rarely.
            assert np.abs(batched.astype(int) - single.astype(int)).max() <= 1
            assert (batched != single).mean() < 0.01


def test_frames_and_prompts_never_cross_between_people(tiny_models):
    # Batches of 4 prepared only: three people run with a spare row that still holds the fourth
    # person's last frame, noise, prompt and feedback.
    engine = DiffusionEngine(tiny_models, config(), batch_sizes=(1, 4))
    try:
        run_together(engine, ["dev", "chloe", "ben", "ana"], steps=2)  # fills all four rows
        with_dev_left_over = run_together(engine, ["ana", "ben", "chloe"], steps=2)
        other_order = run_together(engine, ["chloe", "ana", "ben"], steps=2)
        other_company = run_together(engine, ["ana", "dev"], steps=2)
        alone = run_together(engine, ["ana"], steps=2)
    finally:
        engine.close()
    for i in range(2):
        for company in (other_order, other_company, alone):
            np.testing.assert_allclose(with_dev_left_over["ana"][i], company["ana"][i], atol=1)
        # and everyone's picture is their own
        assert not np.array_equal(with_dev_left_over["ana"][i], with_dev_left_over["ben"][i])
        np.testing.assert_allclose(with_dev_left_over["ben"][i], other_order["ben"][i], atol=1)


def test_each_person_is_drawn_with_their_own_prompt_and_noise(engine):
    ana, ben = engine.seat(PEOPLE["ana"][0]), engine.seat(PEOPLE["ben"][0])
    (frame,) = frames(1, 0)
    ana.put(frame, None, PEOPLE["ana"][1])
    ben.put(frame, None, PEOPLE["ben"][1])
    engine.step([ana, ben])
    torch.testing.assert_close(ana.embedding, engine.encoder(PEOPLE["ana"][1]))
    torch.testing.assert_close(ben.embedding, engine.encoder(PEOPLE["ben"][1]))
    assert not torch.equal(ana.noise, ben.noise)
    # The same frame, a different prompt and noise: a different picture.
    assert not np.array_equal(ana.take(), ben.take())


def test_people_who_render_at_once_are_stepped_in_one_batch(engine):
    """The engine's thread takes every person whose frame is waiting: one comes alone, three
    arrive while that step runs and go together into the next one."""
    steps: list[int] = []
    step_group = engine._step_group
    seats = [engine.seat() for _ in range(4)]
    others_waiting = threading.Event()

    def recording(shape, group, profile=False):
        steps.append(len(group))
        if len(steps) == 1:  # the first step lasts until the other three have handed in frames
            assert others_waiting.wait(10)
        step_group(shape, group, profile)

    engine._step_group = recording
    outputs: dict[int, np.ndarray] = {}

    def person(i: int) -> None:
        outputs[i] = seats[i](frames(1, i)[0], None, f"person {i}").copy()

    first = threading.Thread(target=person, args=(0,))
    first.start()
    while not steps:
        threading.Event().wait(0.01)
    others = [threading.Thread(target=person, args=(i,)) for i in (1, 2, 3)]
    for thread in others:
        thread.start()
    while sum(seat._pending for seat in seats) < 3:
        threading.Event().wait(0.01)
    others_waiting.set()
    for thread in [first, *others]:
        thread.join(10)
    assert steps == [1, 3]
    assert sorted(outputs) == [0, 1, 2, 3] and all(o.shape == (H, W, 3) for o in outputs.values())
    assert all(seat.timings()["wait"] >= 0 for seat in seats)


def test_a_person_whose_frame_is_not_ready_is_not_waited_for(engine):
    ana, ben = engine.seat(), engine.seat()
    (frame,) = frames(1, 0)
    out = ana(frame, None, "a castle")  # ben has no frame: ana's step runs without him
    assert out.shape == (H, W, 3) and ben.latent is None


# ---- sizes --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("camera,working", [
    ((640, 480), (512, 384)), ((320, 240), (512, 384)),        # 4:3
    ((1280, 720), (576, 320)), ((960, 540), (576, 320)), ((640, 360), (576, 320)),  # 16:9
    ((480, 640), (384, 512)), ((720, 1280), (320, 576)),       # phones held upright
])
def test_the_working_size_keeps_the_cameras_shape(camera, working):
    cfg = DiffusionConfig(size=512)
    assert cfg.working_size(*camera) == working == cfg.shape_for(*camera)
    assert working[0] % 64 == 0 and working[1] % 64 == 0
    assert abs(working[0] / working[1] - camera[0] / camera[1]) / (camera[0] / camera[1]) < 0.07


def test_an_unusual_camera_is_drawn_at_the_nearest_captured_shape():
    cfg = DiffusionConfig(size=512, aspects=("4:3", "16:9"))
    assert cfg.working_shapes() == ((512, 384), (576, 320))
    assert cfg.shape_for(2560, 1080) == (576, 320)  # 21:9
    assert cfg.shape_for(500, 500) == (512, 384)  # square
    assert cfg.shape_for(480, 640) == (512, 384)  # no portrait shape captured: the nearest


def test_batch_sizes_are_powers_of_two_up_to_the_session_cap():
    assert DiffusionConfig(max_batch=4).batch_sizes(graphs=True) == (1, 2, 4)
    assert DiffusionConfig(max_batch=6).batch_sizes(graphs=True) == (1, 2, 4, 6)
    assert DiffusionConfig(max_batch=1).batch_sizes(graphs=True) == (1,)
    assert DiffusionConfig(max_batch=3).batch_sizes(graphs=False) == (1, 2, 3)


def test_a_4_3_and_a_16_9_person_are_drawn_at_their_own_working_shapes(engine):
    webcam, phone = engine.seat(), engine.seat()
    webcam.put(frames(1, 0, (W, H))[0], None, "a castle")
    phone.put(frames(1, 1, (192, 108))[0], None, "a castle")
    engine.step([webcam, phone])
    assert webcam.shape == (256, 192) and phone.shape == (320, 192)
    assert webcam.latent.shape[-2:] == (192 // 8, 256 // 8) and phone.latent.shape[-2:] == (192 // 8, 320 // 8)
    assert webcam.take().shape == (H, W, 3) and phone.take().shape == (108, 192, 3)


def test_a_quality_step_of_the_output_size_builds_nothing_new(engine):
    seat = engine.seat()
    batches = dict(engine.batches)
    captures = engine.captures
    seat(frames(1, 0, (W, H))[0], None, "a castle")
    noise, shape = seat.noise, seat.shape
    smaller = seat(frames(1, 1, (W // 2, H // 2))[0], None, "a castle")  # the quality loop stepped down
    assert smaller.shape == (H // 2, W // 2, 3)
    assert seat.shape == shape and seat.noise is noise  # same working shape: noise and feedback go on
    assert engine.batches == batches and all(engine.batches[k] is batches[k] for k in batches)
    assert engine.captures == captures


# ---- the pose -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("shape,sizes", [((512, 512), (4.0, 4.0)), ((512, 384), (3.0, 3.0)),
                                         ((576, 320), (2.5, 2.5)), ((256, 192), (1.5, 1.5))])
def test_the_pose_is_drawn_as_controlnet_aux_draws_it_at_a_512_short_side(shape, sizes):
    # controlnet_aux draws limbs as ellipses with stickwidth 4 (8 px wide) and joints of radius 4
    # on a canvas whose short side is 512; ours is that canvas scaled to the working size.
    assert pose_sizes(shape) == sizes


# ---- one engine per process -----------------------------------------------------------------------------

def test_the_engine_loads_once_for_four_sessions(monkeypatch, tiny_models):
    loads = []

    def counting_tiny(*args, **kwargs):
        loads.append(1)
        return tiny_models

    monkeypatch.setattr(model_zoo, "tiny", counting_tiny)
    settings = Settings.load(environ={}).replace(
        stages=("diffusion",), diffusion_model="tiny", diffusion_device="cpu", diffusion_size=128,
        width=W, height=H)
    catalog = Catalog.load()
    plan = StagePlan.decide(settings)
    shared = plan.open_shared(settings)  # start-up
    try:
        sessions = [plan.open(settings, catalog, shared)[0] for _ in range(4)]
        engine = shared.get("diffusion")
        assert len(loads) == 1 and all(stage.engine is engine for stage in sessions)
        assert engine.people == 4 and all(stage.seat.latent is None for stage in sessions)  # no tensors yet
        outputs = {}
        threads = [threading.Thread(target=lambda i=i, s=s: outputs.__setitem__(
            i, s.render(frames(1, i)[0], None, Scene.empty()).copy())) for i, s in enumerate(sessions)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert sorted(outputs) == [0, 1, 2, 3] and len(loads) == 1
        sessions[0].close()  # a person leaves; the engine stays for the others
        assert engine.people == 3
        assert sessions[1].render(frames(1, 9)[0], None, Scene.empty()).shape == (H, W, 3)
    finally:
        shared.close()
    with pytest.raises(EngineClosed):
        sessions[1].render(frames(1, 9)[0], None, Scene.empty())


def test_closing_the_engine_releases_a_person_waiting_for_a_step(tiny_models):
    engine = DiffusionEngine(tiny_models, config(aspects=("4:3",)))
    seat = engine.seat()
    started, release = threading.Event(), threading.Event()
    step_group = engine._step_group

    def slow(shape, group, profile=False):
        started.set()
        release.wait(10)
        step_group(shape, group, profile)

    engine._step_group = slow
    errors = []

    def person():
        try:
            seat(frames(1, 0)[0], None, "a castle")
        except Exception as exc:
            errors.append(exc)

    thread = threading.Thread(target=person)
    thread.start()
    assert started.wait(10)
    closer = threading.Thread(target=engine.close)
    closer.start()
    release.set()
    closer.join(20)
    thread.join(20)
    assert not thread.is_alive() and not closer.is_alive()
    with pytest.raises(EngineClosed):
        engine.seat()


def test_a_person_who_leaves_while_their_frame_waits_is_answered_at_once(engine):
    """Their stage closes while its thread waits for a step that has not started: the thread is
    released (EngineClosed), not left waiting for a step that will never include it."""
    busy, release = threading.Event(), threading.Event()
    step_group = engine._step_group

    def held(shape, group, profile=False):
        busy.set()
        release.wait(10)
        step_group(shape, group, profile)

    engine._step_group = held
    first, leaving = engine.seat(), engine.seat()
    threading.Thread(target=lambda: first(frames(1, 0)[0], None, "a castle"), daemon=True).start()
    assert busy.wait(10)  # the engine is stepping the first person
    errors = []

    def person():
        try:
            leaving(frames(1, 1)[0], None, "a castle")
        except EngineClosed as exc:
            errors.append(exc)

    waiting = threading.Thread(target=person)
    waiting.start()
    while not leaving._pending:
        threading.Event().wait(0.01)
    leaving.close()
    waiting.join(5)
    release.set()
    assert not waiting.is_alive() and len(errors) == 1
