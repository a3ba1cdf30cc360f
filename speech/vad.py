"""Streaming voice activity detection with the Silero VAD model faster-whisper ships (ONNX, offline).

The model scores 512-sample windows at 16 kHz (32 ms) and keeps a recurrent state; each window is
fed with the last 64 samples of the previous one as context, as faster-whisper's own batch
wrapper does. One intra-op thread: it costs ~0.1 ms a window and must not steal a core from video.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

WINDOW = 512  # samples at 16 kHz
CONTEXT = 64


def model_path() -> Path:
    import faster_whisper

    path = Path(faster_whisper.__file__).parent / "assets" / "silero_vad_v6.onnx"
    if not path.exists():
        raise FileNotFoundError(f"Silero VAD model missing at {path}: reinstall faster-whisper==1.2.1")
    return path


class StreamingVad:
    def __init__(self, path: Path | None = None) -> None:
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.inter_op_num_threads = 1
        options.intra_op_num_threads = 1
        options.log_severity_level = 4
        self._session = onnxruntime.InferenceSession(
            str(path or model_path()), providers=["CPUExecutionProvider"], sess_options=options
        )
        self.reset()

    def reset(self) -> None:
        self._h = np.zeros((1, 1, 128), np.float32)
        self._c = np.zeros((1, 1, 128), np.float32)
        self._context = np.zeros(CONTEXT, np.float32)

    def __call__(self, window: np.ndarray) -> float:
        """Speech probability of one 512-sample window."""
        x = np.concatenate([self._context, window]).reshape(1, CONTEXT + WINDOW).astype(np.float32, copy=False)
        out, self._h, self._c = self._session.run(None, {"input": x, "h": self._h, "c": self._c})
        self._context = window[-CONTEXT:].copy()
        return float(np.asarray(out).reshape(-1)[0])
