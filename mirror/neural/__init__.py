"""A real neural repaint on the CPU: a pretrained style network (ONNX) over the composite."""
from mirror.neural.model import NeuralModelError
from mirror.neural.repaint import NeuralRepaint

__all__ = ["NeuralModelError", "NeuralRepaint"]
