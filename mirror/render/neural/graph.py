"""The style network's graph, made cheaper to run before onnxruntime sees it: same maths, fewer passes.

multistyle26 was exported from PyTorch with its conditional instance norms written out as ten
element-wise operators each (18 norms):

    mean = ReduceMean(x, HW)     d = x − mean     var = ReduceMean(d², HW)
    y = d · (1 / Sqrt(var + ε)) · γ(style_weights) + β(style_weights)

Each operator is one pass over the feature map, and none of them runs in onnxruntime's blocked
(NCHWc) layout, so every norm also converts the layout back and forth. `fuse_instance_norms`
replaces each chain with one InstanceNormalization node (the same ε; γ and β stay computed from
the style weights, the node's scale and bias inputs). Measured with `mirror bench neural
--no-pipeline`: the network 16.5 → 14.7 ms at 192×144 on one thread; outputs equal to 1e-5
(tests/render/neural/test_graph.py). A graph without the pattern is returned unchanged.
"""
from __future__ import annotations

import logging

log = logging.getLogger(__name__)

# The written-out norm after its first ReduceMean, in order; each node feeds the next.
_CHAIN = ("Sub", "Pow", "ReduceMean", "Add", "Sqrt", "Div", "Mul", "Mul", "Add")


def fuse_instance_norms(model) -> int:
    """Fuse, in place, every written-out instance norm of `model` (an onnx.ModelProto) into one
    InstanceNormalization node. Returns how many were fused."""
    from onnx import helper, numpy_helper

    graph = model.graph
    constants = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    for node in graph.node:
        if node.op_type == "Constant" and node.attribute and node.attribute[0].name == "value":
            constants[node.output[0]] = numpy_helper.to_array(node.attribute[0].t)
    producer = {out: node for node in graph.node for out in node.output}
    consumers: dict[str, list] = {}
    for node in graph.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node)
    outputs = {o.name for o in graph.output}

    def only_consumer(node):
        users = consumers.get(node.output[0], [])
        return users[0] if len(users) == 1 and node.output[0] not in outputs else None

    replaced: dict[int, object] = {}  # id(last node of a chain) → its InstanceNormalization
    removed: set[int] = set()
    for mean in graph.node:
        if mean.op_type != "ReduceMean" or not _axes_hw(mean, constants):
            continue
        x = mean.input[0]
        chain = _follow(mean, consumers, only_consumer)
        if chain is None:
            continue
        sub, power, var, add_eps, sqrt, div, mul_norm, mul_gamma, add_beta = chain
        # d = x − mean is used twice: squared for the variance and scaled for the output.
        if (sub.input != [x, mean.output[0]] or len(consumers.get(sub.output[0], [])) != 2
                or {mean.output[0], sub.output[0]} & outputs
                or mul_norm.input[0] != sub.output[0] or power.input[0] != sub.output[0]):
            continue
        if not (_is(constants, power.input[1], 2.0) and _is(constants, div.input[0], 1.0) and _axes_hw(var, constants)):
            continue
        if add_eps.input[1] not in constants:
            continue
        gamma, beta = _per_channel(producer, mul_gamma.input[1]), _per_channel(producer, add_beta.input[1])
        if gamma is None or beta is None:
            continue
        fused = helper.make_node("InstanceNormalization", [x, gamma, beta], [add_beta.output[0]],
                                 epsilon=float(constants[add_eps.input[1]]), name=f"{mean.name}/fused_instance_norm")
        replaced[id(add_beta)] = fused
        removed.update(id(n) for n in (mean, *chain[:-1]))
    if replaced:
        nodes = [replaced.get(id(n), n) for n in graph.node if id(n) not in removed]
        del graph.node[:]
        graph.node.extend(nodes)
        _drop_unused(graph)
    return len(replaced)


def _follow(mean, consumers, only_consumer):
    """The nodes of _CHAIN after `mean`, or None when the graph does not read so."""
    users = consumers.get(mean.output[0], [])
    if len(users) != 1 or users[0].op_type != "Sub":
        return None
    chain = [users[0]]
    squares = [n for n in consumers.get(chain[0].output[0], []) if n.op_type == "Pow"]
    if len(squares) != 1:
        return None
    chain.append(squares[0])
    for op in _CHAIN[2:]:
        node = only_consumer(chain[-1])
        if node is None or node.op_type != op:
            return None
        chain.append(node)
    return chain


def _axes_hw(node, constants) -> bool:
    """A ReduceMean over the two spatial axes of an NCHW map, keeping them (attribute or input)."""
    keepdims = next((a.i for a in node.attribute if a.name == "keepdims"), 1)
    axes = next((list(a.ints) for a in node.attribute if a.name == "axes"), None)
    if axes is None and len(node.input) > 1 and node.input[1] in constants:
        axes = [int(v) for v in constants[node.input[1]].ravel()]
    return keepdims == 1 and axes is not None and sorted(axes) in ([2, 3], [-2, -1])


def _is(constants, name: str, value: float) -> bool:
    return name in constants and constants[name].size == 1 and float(constants[name].ravel()[0]) == value


def _per_channel(producer, name: str) -> str | None:
    """γ or β as a (C,) tensor: the input of the Reshape that made it (C, 1, 1) / (1, C, 1, 1)."""
    reshape = producer.get(name)
    return reshape.input[0] if reshape is not None and reshape.op_type == "Reshape" else None


def _drop_unused(graph) -> None:
    """Remove Constant nodes nothing reads any more (the norms' ε, exponent, shapes)."""
    used = {name for node in graph.node for name in node.input} | {o.name for o in graph.output}
    keep = [n for n in graph.node if n.op_type != "Constant" or n.output[0] in used]
    del graph.node[:]
    graph.node.extend(keep)
