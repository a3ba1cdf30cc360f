"""The diffusion stage on the tiny random model, on the CPU: one person's seat at the engine, the
real path frame → encode → ControlNet + UNet → decode → frame, with prompts, pose and feedback."""
import socket

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("diffusers")

from mirror.render.diffusion import DiffusionConfig, DiffusionStage, DiffusionWeightsError  # noqa: E402
from mirror.render.diffusion import models as model_zoo  # noqa: E402
from mirror.render.diffusion.engine import DiffusionEngine  # noqa: E402
from mirror.render.stage import SharedStages, StageContext  # noqa: E402
from mirror.server.settings import Settings  # noqa: E402
from pose import Landmark, Pose  # noqa: E402
from world import Scene  # noqa: E402

W, H = 160, 120
SIZE = 128  # a 4:3 frame works at 128x128 (the nearest multiples of 64 to 128x96)


pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def tiny_models():
    return model_zoo.tiny(seed=0)


def config(**changes) -> DiffusionConfig:
    values = dict(model="tiny", device="cpu", size=SIZE, aspects=("4:3",), frame_width=W, frame_height=H,
                  feedback=0.3, blend_frames=4)
    values.update(changes)
    return DiffusionConfig(**values)


def stage_on(catalog, models=None, **changes) -> DiffusionStage:
    """One person's stage at an engine of its own (closed with the stage)."""
    cfg = config(**changes)
    engine = DiffusionEngine(models if models is not None else model_zoo.tiny(seed=cfg.seed, controlnet=cfg.controlnet),
                             cfg)
    return DiffusionStage(engine, catalog, owns_engine=True)


def frames(count: int, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.integers(0, 256, (H, W, 3), dtype=np.uint8) for _ in range(count)]


def standing_pose() -> Pose:
    pose = Pose.empty(W, H)
    for landmark, xy in {Landmark.NOSE: (80, 20), Landmark.LEFT_SHOULDER: (95, 40), Landmark.RIGHT_SHOULDER: (65, 40),
                         Landmark.LEFT_ELBOW: (110, 60), Landmark.RIGHT_ELBOW: (50, 60),
                         Landmark.LEFT_WRIST: (115, 80), Landmark.RIGHT_WRIST: (45, 80),
                         Landmark.LEFT_HIP: (90, 80), Landmark.RIGHT_HIP: (70, 80),
                         Landmark.LEFT_KNEE: (92, 100), Landmark.RIGHT_KNEE: (68, 100)}.items():
        pose.landmarks[landmark] = (*xy, 1.0)
    return pose


def render_all(stage: DiffusionStage, images, scene, pose=None) -> list[np.ndarray]:
    return [stage.render(image, pose, scene).copy() for image in images]  # the stage reuses its buffers


def test_output_is_an_rgb_uint8_frame_of_the_input_size(catalog, tiny_models):
    stage = stage_on(catalog, tiny_models)
    image = frames(1)[0]
    before = image.copy()
    out = stage.render(image, standing_pose(), Scene.empty())
    assert out.shape == (H, W, 3) and out.dtype == np.uint8 and out.flags.c_contiguous
    assert out.std() > 5, "the tiny model's picture has structure, not one flat colour"
    np.testing.assert_array_equal(image, before)  # the input is never written
    assert set(stage.timings()) >= {"wait", "stage", "encode", "pose_map", "controlnet", "unet", "decode", "emit"}


def test_a_frame_of_another_size_comes_back_at_its_own_size(catalog, tiny_models):
    stage = stage_on(catalog, tiny_models)
    out = stage.render(np.zeros((96, 128, 3), np.uint8), None, Scene.empty())
    assert out.shape == (96, 128, 3)


def test_the_same_seed_gives_the_same_frames(catalog):
    clip = frames(3)
    first = render_all(stage_on(catalog, seed=7), clip, Scene.empty())
    again = render_all(stage_on(catalog, seed=7), clip, Scene.empty())
    other = render_all(stage_on(catalog, seed=8), clip, Scene.empty())
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
    assert any(not np.array_equal(a, b) for a, b in zip(first, other))


def test_feedback_blends_in_the_previous_output(catalog, tiny_models):
    a, b, c = frames(3)
    scene = Scene.empty()

    def second_frame(feedback: float, first: np.ndarray) -> np.ndarray:
        stage = stage_on(catalog, tiny_models, feedback=feedback)
        stage.render(first, None, scene)
        return stage.render(b, None, scene).copy()

    # Without feedback a frame is a function of itself; with it, of the frame before too.
    np.testing.assert_array_equal(second_frame(0.0, a), second_frame(0.0, c))
    assert not np.array_equal(second_frame(0.5, a), second_frame(0.5, c))
    assert not np.array_equal(second_frame(0.0, a), second_frame(0.5, a))


def test_feedback_starts_from_the_first_frame_itself(catalog, tiny_models):
    image = frames(1)[0]
    without = stage_on(catalog, tiny_models, feedback=0.0).render(image, None, Scene.empty()).copy()
    with_feedback = stage_on(catalog, tiny_models, feedback=0.5).render(image, None, Scene.empty())
    np.testing.assert_array_equal(without, with_feedback)


def test_a_new_prompt_is_read_on_the_next_frame(catalog, tiny_models):
    stage = stage_on(catalog, tiny_models)
    image = frames(1)[0]
    scene = Scene.empty()
    stage.render(image, None, scene)
    assert stage.prompt == scene.prompt(catalog) and stage.prompt_version == scene.version
    thrones = scene.edit(theme="game_of_thrones")
    stage.render(image, None, thrones)
    assert stage.prompt == thrones.prompt(catalog) and "Game of Thrones" in stage.prompt
    assert stage.prompt_version == thrones.version


def test_a_prompt_change_glides_to_the_new_embedding_within_the_blend_window(catalog, tiny_models):
    blend = 5
    stage = stage_on(catalog, tiny_models, blend_frames=blend)
    image = frames(1)[0]
    old, new = Scene.empty(), Scene.empty().edit(theme="outer_space", style="van_gogh")
    stage.render(image, None, old)
    start = stage.seat.embedding.clone()  # what the UNet read for this person, (1, 77, D)
    target = stage.engine.encoder(new.prompt(catalog))
    seen = []
    for _ in range(blend + 2):
        stage.render(image, None, new)
        seen.append(stage.seat.embedding.clone())
    initial = float((start - target).norm())
    distances = [float((e - target).norm()) for e in seen]
    assert distances[0] < initial, "the first frame after the change already moves"
    assert all(later < earlier for earlier, later in zip([initial, *distances], distances[:blend]))
    steps = [float((b - a).norm()) for a, b in zip([start, *seen], seen[:blend])]
    assert max(steps) < 0.6 * initial, "no jump: the way is spread over the window"
    assert distances[blend - 1] == 0.0 and distances[-1] == 0.0  # exactly the new prompt from frame `blend` on


def test_an_unchanged_prompt_is_not_encoded_again(catalog, tiny_models):
    stage = stage_on(catalog, tiny_models)
    image = frames(1)[0]
    scene = Scene.empty().edit(theme="ice_palace")
    stage.render(image, None, scene)
    calls = []
    text_encoder = stage.engine.encoder.text_encoder
    encode = text_encoder.forward
    text_encoder.forward = lambda *a, **k: calls.append(1) or encode(*a, **k)
    try:
        stage.render(image, None, scene)  # same version
        stage.render(image, None, scene.edit(theme="ice_palace", style_strength=0.5))  # new version, same text
        stage.render(image, None, Scene.empty().edit(theme="ice_palace"))  # other version, cached text
        other = DiffusionStage(stage.engine, catalog)  # another person, the same prompt: the process's cache
        other.render(image, None, Scene.empty().edit(theme="ice_palace"))
    finally:
        del text_encoder.forward
    assert calls == []


def test_the_controlnet_brings_the_pose_into_the_picture(catalog, tiny_models):
    image, scene = frames(1)[0], Scene.empty()
    with_net = stage_on(catalog, tiny_models, feedback=0.0)
    posed = with_net.render(image, standing_pose(), scene).copy()
    unposed = with_net.render(image, None, scene).copy()
    assert not np.array_equal(posed, unposed)

    without_net = stage_on(catalog, controlnet=False, feedback=0.0)
    assert without_net.engine.models.controlnet is None and "controlnet" not in without_net.timings()
    posed = without_net.render(image, standing_pose(), scene).copy()
    np.testing.assert_array_equal(posed, without_net.render(image, None, scene))


def test_a_saved_tiny_model_loads_back_offline_and_draws_the_same(catalog, tiny_models, tmp_path, monkeypatch):
    tiny_models.save(tmp_path / "model")

    def no_network(*args, **kwargs):
        raise AssertionError("loading a local model directory reached for the network")

    # Offline by local_files_only alone: no HF_HUB_OFFLINE in the environment.
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr(socket.socket, "connect", no_network)
    loaded = model_zoo.load(tmp_path / "model", "cpu", torch.float32, controlnet=True)
    clip, scene, pose = frames(2), Scene.empty().edit(theme="jungle"), standing_pose()
    expected = render_all(stage_on(catalog, tiny_models), clip, scene, pose)
    got = render_all(stage_on(catalog, loaded, model=str(tmp_path / "model")), clip, scene, pose)
    for a, b in zip(expected, got):
        np.testing.assert_array_equal(a, b)


def test_the_engine_opened_at_start_up_reads_the_settings_and_each_person_gets_a_seat(catalog):
    settings = Settings().replace(diffusion_model="tiny", diffusion_device="cpu", diffusion_size=SIZE,
                                  diffusion_controlnet=False, width=W, height=H, max_sessions=3)
    assert DiffusionStage.available(settings).ok
    engine = DiffusionStage.open_shared(settings)
    shared = SharedStages({"diffusion": engine})
    try:
        assert engine.models.controlnet is None and engine.config.size == SIZE and engine.config.max_batch == 3
        first = DiffusionStage.open(StageContext(settings, catalog, frozenset(), shared))
        second = DiffusionStage.open(StageContext(settings, catalog, frozenset(), shared))
        assert first.engine is second.engine is engine and engine.people == 2
        assert first.render(frames(1)[0], None, Scene.empty()).shape == (H, W, 3)
        first.close()
        second.close()
        assert engine.people == 0
    finally:
        shared.close()


def test_a_stage_opened_without_the_process_engine_loads_its_own(catalog):
    settings = Settings().replace(diffusion_model="tiny", diffusion_device="cpu", diffusion_size=SIZE,
                                  width=W, height=H)
    stage = DiffusionStage.open(StageContext(settings, catalog, frozenset()))
    try:
        assert stage.render(frames(1)[0], None, Scene.empty()).shape == (H, W, 3)
    finally:
        stage.close()
    assert stage.engine.batches == {}  # it was this person's own: closed with the stage
    assert DiffusionStage.name == "diffusion" and DiffusionStage.own_thread
    assert DiffusionStage.needs.pose and DiffusionStage.needs.gpu and DiffusionStage.needs.weights
    assert "prompt_style" in DiffusionStage.provides


# ---- missing and broken weights --------------------------------------------------------------------

def settings_for(model, device: str = "cpu") -> Settings:
    return Settings().replace(diffusion_model=str(model), diffusion_device=device)


def test_no_model_set_says_how_to_get_one():
    availability = DiffusionStage.available(settings_for(""))
    assert not availability.ok
    assert "--diffusion-model" in availability.reason and "mirror weights fetch" in availability.reason


def test_a_wrong_directory_names_the_fetch_command(catalog, tmp_path):
    missing = tmp_path / "nowhere"
    availability = DiffusionStage.available(settings_for(missing))
    assert not availability.ok and f"mirror weights fetch --dest {missing}" in availability.reason
    with pytest.raises(DiffusionWeightsError, match="mirror weights fetch --dest"):
        DiffusionEngine.load(config(model=str(missing)))
    empty = tmp_path / "empty"
    empty.mkdir()
    assert "no diffusion weights in" in DiffusionStage.available(settings_for(empty)).reason


@pytest.fixture(scope="module")
def saved_tiny(tmp_path_factory, tiny_models):
    directory = tmp_path_factory.mktemp("tiny") / "model"
    tiny_models.save(directory)
    return directory


@pytest.fixture
def model_copy(saved_tiny, tmp_path):
    import shutil

    return shutil.copytree(saved_tiny, tmp_path / "model")


@pytest.mark.parametrize("subfolder", ["unet", "vae", "text_encoder", "tokenizer", "scheduler", "controlnet"])
def test_a_directory_missing_a_subfolder_names_it(model_copy, subfolder):
    import shutil

    shutil.rmtree(model_copy / subfolder)
    reason = DiffusionStage.available(settings_for(model_copy)).reason
    assert f"{subfolder}/" in reason and "mirror weights fetch --dest" in reason
    with pytest.raises(DiffusionWeightsError, match=f"{subfolder}/"):
        model_zoo.load(model_copy, "cpu", torch.float32)


def test_the_controlnet_subfolder_is_needed_only_with_the_controlnet_on(model_copy):
    import shutil

    shutil.rmtree(model_copy / "controlnet")
    settings = settings_for(model_copy).replace(diffusion_controlnet=False)
    assert DiffusionStage.available(settings).ok
    assert model_zoo.load(model_copy, "cpu", torch.float32, controlnet=False).controlnet is None


def test_broken_files_are_one_clear_error(model_copy):
    config_file = model_copy / "unet" / "config.json"
    good = config_file.read_text()
    config_file.write_text("{ not json")
    reason = DiffusionStage.available(settings_for(model_copy)).reason
    assert "unet/config.json" in reason and "broken" in reason and "mirror weights fetch" in reason
    config_file.write_text(good)
    (model_copy / "vae" / "diffusion_pytorch_model.safetensors").write_bytes(b"truncated")
    with pytest.raises(DiffusionWeightsError, match=r"vae/ .*mirror weights fetch --dest"):
        model_zoo.load(model_copy, "cpu", torch.float32)


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a CUDA device")
def test_a_model_directory_needs_cuda_unless_told_to_use_the_cpu(saved_tiny):
    availability = DiffusionStage.available(settings_for(saved_tiny, device="auto"))
    assert not availability.ok and availability.reason.startswith("no CUDA device")
    assert DiffusionStage.available(settings_for(saved_tiny, device="cpu")).ok
    assert DiffusionStage.available(settings_for("tiny", device="auto")).ok  # the tiny model runs anywhere
    assert DiffusionStage.available(settings_for("random", device="auto")).reason.startswith("no CUDA device")
