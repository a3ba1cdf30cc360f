"""`mirror bench neural --int8`: the style network quantised to int8 (QDQ, onnxruntime's static
quantisation calibrated on the test clip) against the float network it ships as, in one run:
ms per frame at the working size, one thread, and the mean difference of their outputs.

The stage keeps whichever wins; the figures are in BENCHMARKS.md. Needs the `onnx` package
(in the test extra; onnx 1.16 is the last that works with mediapipe's protobuf<5).
"""
from __future__ import annotations

import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from mirror.render.neural.models import StyleNetwork, model_path
from tools.bench.report import print_table, ratio
from tools.testclip import clip_frames

CALIBRATION_FRAMES = 12


def compare(width: int, height: int, frames: int, style_weights: np.ndarray) -> None:
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    clip = [_as_input(cv2.resize(f.image, (width, height), interpolation=cv2.INTER_AREA))
            for f in clip_frames(CALIBRATION_FRAMES + frames)]
    calibration, measured = clip[:CALIBRATION_FRAMES], clip[CALIBRATION_FRAMES:]

    class Calibration(CalibrationDataReader):
        def __init__(self) -> None:
            self._items = iter([{"image": x, "style_weights": style_weights} for x in calibration])

        def get_next(self):
            return next(self._items, None)

    with tempfile.TemporaryDirectory(prefix="mirror-int8-") as folder:
        prepared, quantised = Path(folder) / "prepared.onnx", Path(folder) / "int8.onnx"
        quant_pre_process(str(model_path()), str(prepared))
        quantize_static(str(prepared), str(quantised), Calibration(), quant_format=QuantFormat.QDQ,
                        activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8, per_channel=True)
        networks = {"float (shipped)": StyleNetwork(threads=1), "int8 QDQ": StyleNetwork(quantised, threads=1)}
        outputs, times = {}, {}
        for name, network in networks.items():
            network(measured[0], style_weights)  # warm-up
            started = time.perf_counter()
            outputs[name] = [network(x, style_weights) for x in measured]
            times[name] = (time.perf_counter() - started) / len(measured) * 1000
    reference = outputs["float (shipped)"]
    rows = []
    for name in networks:
        error = np.mean([np.abs(a - b).mean() for a, b in zip(outputs[name], reference)]) * 255
        rows.append([name, times[name], ratio(times[name], times["float (shipped)"]), error])
    print_table(f"style network at {width}x{height}, 1 thread, {frames} frames of the astronaut clip",
                ["network", "ms / frame", "vs float", "mean |difference| (levels of 255)"], rows)


def _as_input(rgb: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(rgb.astype(np.float32).transpose(2, 0, 1)[None] / 255)

