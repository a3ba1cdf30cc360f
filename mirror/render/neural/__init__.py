"""A real neural repaint on the CPU: a pretrained style network (ONNX) over the composite.

    stage, error = NeuralRepaint.try_create(settings, catalog)   # error: one sentence for the page
    out = stage.render(image, pose, scene)                        # RGB uint8 (H, W, 3)
"""
from mirror.render.neural.models import NeuralModelError, StyleNetwork
from mirror.render.neural.presets import Preset, Presets
from mirror.render.neural.repaint import NeuralRepaint

__all__ = ["NeuralModelError", "NeuralRepaint", "Preset", "Presets", "StyleNetwork"]
