"""A real neural repaint on the CPU: a pretrained style network (ONNX) over the composite.

    NeuralRepaint.available(settings)           # can it run here, and if not, one sentence why
    network = NeuralRepaint.open_shared(settings)   # once per process: the style network's session
    stage = NeuralRepaint.open(StageContext(settings, catalog, shared=SharedStages({"neural": network})))
    out = stage.render(image, pose, scene)      # RGB uint8 (H, W, 3)
"""
from mirror.render.neural.models import NeuralModelError, StyleNetwork
from mirror.render.neural.presets import Preset, Presets
from mirror.render.neural.repaint import NeuralRepaint

__all__ = ["NeuralModelError", "NeuralRepaint", "Preset", "Presets", "StyleNetwork"]
