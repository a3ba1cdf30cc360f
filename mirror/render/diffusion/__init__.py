"""The generative mirror: each frame made by one diffusion step from the camera frame, the pose
(OpenPose ControlNet) and the scene prompt, on diffusers components (UNet, TAESD, CLIP, ControlNet).

    stage.py    DiffusionStage, the render stage: open_shared (the engine, once per process) / open (a seat) / render
    engine.py   DiffusionEngine, one per process: models, embedding cache, graphs; batches everyone's frames.
                Seat: one person's noise, feedback, prompt glide and buffers
    config.py   DiffusionConfig, its settings; the working size in the camera's shape
    layout.py   the model directory's layout and its cheap check
    models.py   DiffusionModels: load(DIR) offline, tiny() and real_architectures() from configs in code
    prompt.py   scene prompt → cached CLIP embedding, slerped over a few frames on a change
    step.py     the one batched function that turns the batch's frames into frames
    bench.py    `mirror bench diffusion --people 1,2,4`: ours against diffusers' own pipeline, same components

Importing this package imports no torch: `DiffusionStage.available()` answers without it.
"""
from mirror.render.diffusion.config import DiffusionConfig
from mirror.render.diffusion.layout import DiffusionWeightsError
from mirror.render.diffusion.stage import DiffusionStage

__all__ = ["DiffusionConfig", "DiffusionStage", "DiffusionWeightsError"]
