"""The generative mirror: each frame made by one diffusion step from the camera frame, the pose
(OpenPose ControlNet) and the scene prompt, on diffusers components (UNet, TAESD, CLIP, ControlNet).

    stage.py    DiffusionStage, the render stage (available / open / render / close)
    config.py   DiffusionConfig, its settings
    layout.py   the model directory's layout and its cheap check
    models.py   DiffusionModels: load(DIR) offline, tiny() and real_architectures() from configs in code
    prompt.py   scene prompt → cached CLIP embedding, slerped over a few frames on a change
    step.py     the one function that turns a frame into a frame
    runner.py   runs the step on the CPU, or on CUDA as a graph with pinned copies on a side stream
    bench.py    `mirror bench diffusion`: ours against diffusers' own pipelines, same components

Importing this package imports no torch: `DiffusionStage.available()` answers without it.
"""
from mirror.render.diffusion.config import DiffusionConfig
from mirror.render.diffusion.layout import DiffusionWeightsError
from mirror.render.diffusion.stage import DiffusionStage

__all__ = ["DiffusionConfig", "DiffusionStage", "DiffusionWeightsError"]
