"""The plan of a graph: every value's shape and every node's cost, found before anything is built.

Nodes are visited in file order (ONNX requires a topological order). Constants are folded with
numpy; every other node goes to its operator's builder, which checks it against its real weights
and returns its output shapes and multiply-adds. The caps in ``limits`` are checked as the walk
goes, so a hostile graph is refused before torch allocates anything.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from gen_core.files.onnx_graph import ops_compute, ops_elementwise, ops_layout, ops_norm, ops_resize
from gen_core.files.onnx_graph.fold import FOLDERS, fold, shape_of
from gen_core.files.onnx_graph.limits import (
    MAX_ACTIVATION,
    MAX_CHANNELS,
    MAX_LIVE_ACTIVATION_BYTES,
    MAX_MACS,
    MAX_WEIGHT_BYTES,
)
from gen_core.files.onnx_graph.node import NodeView, Step, Value
from gen_core.files.onnx_graph.reader import GraphError, declared_bytes, node_attributes, read_tensor
from gen_core.files.onnx_graph.values import Activation

# ONNX operator -> its builder; one builder may serve a family of operators.
OPERATORS = {
    "Gemm": ops_compute.gemm,
    "MatMul": ops_compute.matmul,
    "Conv": ops_compute.conv,
    "ConvTranspose": ops_compute.conv_transpose,
    "Resize": ops_resize.resize,
    "Upsample": ops_resize.resize,
    "BatchNormalization": ops_norm.batch_norm,
    "InstanceNormalization": ops_norm.instance_norm,
    "GroupNormalization": ops_norm.group_norm,
    "LayerNormalization": ops_norm.layer_norm,
    **dict.fromkeys(
        (
            "Relu",
            "LeakyRelu",
            "Elu",
            "Selu",
            "Gelu",
            "Softplus",
            "Tanh",
            "Sigmoid",
            "Sqrt",
            "Neg",
            "Erf",
            "Exp",
            "Abs",
            "Identity",
            "Dropout",
        ),
        ops_elementwise.activation,
    ),
    "Clip": ops_elementwise.clip,
    "PRelu": ops_elementwise.prelu,
    "Cast": ops_elementwise.cast,
    **dict.fromkeys(("Add", "Sub", "Mul", "Div", "Pow", *ops_elementwise.COMPARISONS),
                    ops_elementwise.binary),
    "Where": ops_elementwise.where,
    "Reshape": ops_layout.reshape,
    "Expand": ops_layout.expand,
    "Flatten": ops_layout.flatten,
    "Squeeze": ops_layout.squeeze,
    "Unsqueeze": ops_layout.unsqueeze,
    "Transpose": ops_layout.transpose,
    "Concat": ops_layout.concat,
    "Slice": ops_layout.slice_,
    "Pad": ops_layout.pad,
    "Gather": ops_layout.gather,
    "ReduceMean": ops_layout.reduce_mean,
}
SUPPORTED = sorted({*OPERATORS, *FOLDERS, "Constant", "Shape"})
CONSTANT_ATTRIBUTES = {
    "value_float": np.float32,
    "value_floats": np.float32,
    "value_int": np.int64,
    "value_ints": np.int64,
}


@dataclasses.dataclass
class PlannedNode:
    inputs: list[str]  # the names of its computed inputs, in order
    outputs: list[str]
    step: Step
    op_type: str
    name: str


@dataclasses.dataclass
class Plan:
    nodes: list[PlannedNode]
    values: dict[str, Value]
    macs: int
    peak_bytes: int  # float32 activations alive at once, per picture


def check_counts_and_weights(graph) -> None:
    """Unsupported operators (all named at once) and the declared weight bytes, before reading."""
    # A name that is not valid UTF-8 reaches Python as bytes: shown by its repr, never supported.
    missing = sorted({(n.op_type if isinstance(n.op_type, str) else repr(n.op_type))[:40]
                      for n in graph.node} - set(SUPPORTED))
    if missing:
        raise GraphError(f"unsupported operator(s) {', '.join(missing)} (supported: {', '.join(SUPPORTED)})")
    total = sum(declared_bytes(t) for t in graph.initializer)
    total += sum(declared_bytes(a.t) for n in graph.node for a in n.attribute if a.HasField("t"))
    if total > MAX_WEIGHT_BYTES:
        raise GraphError(
            f"the weights take {total / 2**20:.1f} MiB, over the cap of {MAX_WEIGHT_BYTES / 2**20:.0f} MiB"
        )


def _constant_node(node, attrs: dict) -> np.ndarray:
    if "value" in attrs:
        return attrs["value"]
    for key, dtype in CONSTANT_ATTRIBUTES.items():
        if key in attrs:
            return np.asarray(attrs[key], dtype)
    raise GraphError(f"Constant {node.name[:60]!r} has no supported value")


def _check_activation(node, value: Activation) -> None:
    where = f"operator {node.op_type} ({node.name[:60] or 'unnamed'})"
    if value.rank > 6 or min(value.shape, default=1) < 1:
        raise GraphError(f"{where} makes an empty or rank-{value.rank} value {list(value.shape)}")
    if value.size > MAX_ACTIVATION:
        raise GraphError(
            f"{where} makes {value.size} elements per picture {list(value.shape)}, over the "
            f"activation cap of {MAX_ACTIVATION}"
        )
    if value.rank >= 3 and value.shape[0] > MAX_CHANNELS:
        raise GraphError(f"{where} makes {value.shape[0]} channels, over the cap of {MAX_CHANNELS}")


def plan_graph(graph, inputs: dict[str, Activation], opset: int, external: dict[str, bytes]) -> Plan:
    """Walk ``graph`` from its computed ``inputs``; ``GraphError`` at the first fault or cap."""
    check_counts_and_weights(graph)
    values: dict[str, Value] = {t.name: read_tensor(t, external) for t in graph.initializer}
    values.update(inputs)
    nodes, macs = [], 0
    for node in graph.node:
        attrs = node_attributes(node, external)
        missing = [n for n in node.input if n and n not in values]
        if missing:
            raise GraphError(
                f"operator {node.op_type} ({node.name[:60] or 'unnamed'}) reads {missing[0][:60]!r}, "
                "which no earlier node makes (the nodes must be in topological order)"
            )
        args = [values[n] if n else None for n in node.input]
        given = [a for a in args if a is not None]
        if node.op_type == "Constant":
            outputs = [_constant_node(node, attrs)]
        elif node.op_type == "Shape" and given and isinstance(given[0], Activation):
            outputs = [shape_of(given[0], attrs)]
        elif given and all(isinstance(a, np.ndarray) for a in given) and node.op_type in FOLDERS:
            outputs = [fold(node.op_type, attrs, args)]
        else:
            if node.op_type not in OPERATORS:
                raise GraphError(
                    f"operator {node.op_type} ({node.name[:60] or 'unnamed'}) works on shapes "
                    "only, not on values computed from the latent"
                )
            step = OPERATORS[node.op_type](NodeView(node.op_type, node.name, attrs, args, opset))
            for value in step.outputs:
                _check_activation(node, value)
            macs += step.macs
            if macs > MAX_MACS:
                raise GraphError(
                    f"decoding takes more than {macs:.3g} multiply-adds per picture (at "
                    f"{node.op_type} {node.name[:60]!r}), over the cap of {MAX_MACS:.0e}"
                )
            nodes.append(
                PlannedNode(
                    [n for n, a in zip(node.input, args, strict=True) if isinstance(a, Activation)],
                    list(node.output[: len(step.outputs)]),
                    step,
                    node.op_type,
                    node.name,
                )
            )
            outputs = step.outputs
        if len(outputs) > len(node.output):
            raise GraphError(f"operator {node.op_type} ({node.name[:60] or 'unnamed'}) names no output")
        values.update(zip(node.output, outputs, strict=False))
    return Plan(nodes, values, macs, _peak_bytes(nodes, values, inputs))


def _peak_bytes(nodes: list[PlannedNode], values: dict[str, Value], inputs: dict[str, Activation]) -> int:
    """The most float32 activation bytes alive at once while the nodes run in order."""
    last_use = {name: len(nodes) for name in inputs}
    for index, node in enumerate(nodes):
        for name in node.inputs:
            last_use[name] = index
    change = [0] * (len(nodes) + 2)  # bytes born minus bytes freed at each node
    born = [(name, 0) for name in inputs] + [(n, i) for i, node in enumerate(nodes) for n in node.outputs]
    for name, start in born:
        change[start] += 4 * values[name].size
        change[max(last_use.get(name, start), start) + 1] -= 4 * values[name].size
    peak = alive = 0
    for delta in change:
        alive += delta
        peak = max(peak, alive)
    if peak > MAX_LIVE_ACTIVATION_BYTES:
        raise GraphError(
            f"decoding holds {peak / 2**20:.1f} MiB of activations per picture at once, "
            f"over the cap of {MAX_LIVE_ACTIVATION_BYTES / 2**20:.0f} MiB"
        )
    return peak
