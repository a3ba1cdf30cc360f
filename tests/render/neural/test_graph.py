"""The style network's written-out instance norms are fused into single nodes: same outputs, fewer passes."""
from __future__ import annotations

import numpy as np
import onnx
import onnxruntime
import pytest
from onnx import TensorProto, helper

from mirror.render.neural.graph import fuse_instance_norms
from mirror.render.neural.models import NUM_LEARNED, StyleNetwork, model_path, session_options


def _session(model) -> onnxruntime.InferenceSession:
    return onnxruntime.InferenceSession(model.SerializeToString(), session_options(1),
                                        providers=["CPUExecutionProvider"])


def test_every_norm_of_the_shipped_network_becomes_one_instance_normalization():
    model = onnx.load(str(model_path()))
    assert fuse_instance_norms(model) == 18
    ops = [n.op_type for n in model.graph.node]
    assert ops.count("InstanceNormalization") == 18
    assert "ReduceMean" not in ops and "Sqrt" not in ops and "Pow" not in ops
    onnx.checker.check_model(model)


@pytest.mark.parametrize("size", [(144, 192), (120, 160)])
def test_the_fused_network_paints_what_the_shipped_one_paints(size):
    shipped = _session(onnx.load(str(model_path())))
    rng = np.random.default_rng(3)
    image = rng.random((1, 3, *size), np.float32)
    weights = rng.random(NUM_LEARNED).astype(np.float32)
    weights /= weights.sum()
    expected = shipped.run(None, {"image": image, "style_weights": weights})[0]
    network = StyleNetwork(threads=1)
    assert network.fused_norms == 18
    painted = network(image, weights)
    assert np.abs(painted - expected).max() < 1e-4
    # … and the style weights still steer it: another style paints another picture.
    other = np.zeros(NUM_LEARNED, np.float32)
    other[0] = 1
    assert np.abs(network(image, other) - painted).mean() > 0.01


def _written_out_norm(extra_use_of_centred: bool):
    """x (1, 2, 4, 4) → the ten-operator instance norm the exporter writes, γ and β as (2,) inputs
    reshaped to (1, 2, 1, 1); optionally the centred map is also a graph output (must not be fused)."""
    def const(name, value, dtype=np.float32):
        return helper.make_node("Constant", [], [name], value=helper.make_tensor(
            name + "_v", TensorProto.FLOAT if dtype == np.float32 else TensorProto.INT64,
            np.shape(value), np.ravel(np.asarray(value, dtype))))

    nodes = [
        const("two", 2.0), const("eps", 1e-5), const("one", 1.0), const("shape", [1, 2, 1, 1], np.int64),
        helper.make_node("ReduceMean", ["x"], ["mean"], axes=[2, 3], keepdims=1),
        helper.make_node("Sub", ["x", "mean"], ["d"]),
        helper.make_node("Pow", ["d", "two"], ["d2"]),
        helper.make_node("ReduceMean", ["d2"], ["var"], axes=[2, 3], keepdims=1),
        helper.make_node("Add", ["var", "eps"], ["var_eps"]),
        helper.make_node("Sqrt", ["var_eps"], ["std"]),
        helper.make_node("Div", ["one", "std"], ["inv"]),
        helper.make_node("Mul", ["d", "inv"], ["normed"]),
        helper.make_node("Reshape", ["gamma", "shape"], ["gamma4"]),
        helper.make_node("Reshape", ["beta", "shape"], ["beta4"]),
        helper.make_node("Mul", ["normed", "gamma4"], ["scaled"]),
        helper.make_node("Add", ["scaled", "beta4"], ["y"]),
    ]
    outputs = [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2, 4, 4])]
    if extra_use_of_centred:
        outputs.append(helper.make_tensor_value_info("d", TensorProto.FLOAT, [1, 2, 4, 4]))
    graph = helper.make_graph(nodes, "norm", [
        helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2, 4, 4]),
        helper.make_tensor_value_info("gamma", TensorProto.FLOAT, [2]),
        helper.make_tensor_value_info("beta", TensorProto.FLOAT, [2]),
    ], outputs)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])


def test_a_written_out_norm_fuses_to_the_same_numbers():
    model = _written_out_norm(extra_use_of_centred=False)
    rng = np.random.default_rng(0)
    feeds = {"x": rng.normal(size=(1, 2, 4, 4)).astype(np.float32) * 3 + 1,
             "gamma": np.array([0.5, 2.0], np.float32), "beta": np.array([-1.0, 0.25], np.float32)}
    expected = _session(model).run(["y"], feeds)[0]
    assert fuse_instance_norms(model) == 1
    assert [n.op_type for n in model.graph.node if n.op_type not in ("Reshape", "Constant")] == [
        "InstanceNormalization"]
    fused = _session(model).run(["y"], feeds)[0]
    np.testing.assert_allclose(fused, expected, atol=1e-5)
    x = feeds["x"]
    by_hand = (x - x.mean(axis=(2, 3), keepdims=True)) / np.sqrt(x.var(axis=(2, 3), keepdims=True) + 1e-5)
    np.testing.assert_allclose(fused, by_hand * feeds["gamma"][None, :, None, None]
                               + feeds["beta"][None, :, None, None], atol=1e-5)


def test_a_norm_whose_pieces_are_used_elsewhere_is_left_alone():
    model = _written_out_norm(extra_use_of_centred=True)
    before = [n.op_type for n in model.graph.node]
    assert fuse_instance_norms(model) == 0
    assert [n.op_type for n in model.graph.node] == before
