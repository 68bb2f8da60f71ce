"""Hostile ONNX files for the security fuzzer: valid tiny decoders, mutated.

``onnx_cases(rng, n)`` yields ``(kind, graph bytes, external files)``; ``bench.fuzz`` sends each
through the upload path, where it must load or be refused with ``CheckpointError``.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

import numpy as np
from onnx import TensorProto, helper, numpy_helper

BATCH_DIMS = ["b"]


def _model(nodes, initializers, latent=4, rgb_from=0):
    """A graph of ``nodes``; ``rgb_from`` channels at the end are mapped to 3 by a 1x1 convolution."""
    if rgb_from:
        initializers = [
            *initializers,
            numpy_helper.from_array(np.full((3, rgb_from, 1, 1), 0.1, np.float32), "rgb"),
        ]
        nodes = [*nodes, helper.make_node("Conv", [nodes[-1].output[0], "rgb"], ["picture"])]
    graph = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info("z", TensorProto.FLOAT, ["b", latent])],
        [helper.make_tensor_value_info(nodes[-1].output[0], TensorProto.FLOAT, None)],
        initializer=initializers,
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def _array(rng: random.Random, shape) -> TensorProto:
    return np.asarray(np.random.default_rng(rng.randrange(2**32)).normal(0, 0.1, shape), np.float32)


def seeds(rng: random.Random) -> list:
    """Valid tiny decoders covering every operator builder."""
    t = lambda name, shape: numpy_helper.from_array(_array(rng, shape), name)  # noqa: E731
    i64 = lambda name, values: numpy_helper.from_array(np.array(values, np.int64), name)  # noqa: E731
    n = helper.make_node
    head = [n("Gemm", ["z", "w"], ["h"], transB=1), n("Reshape", ["h", "s"], ["x"])]
    base = [t("w", (64, 4)), i64("s", [-1, 4, 4, 4])]
    return [
        _model(
            [
                *head,
                n("ConvTranspose", ["x", "k"], ["y"], strides=[2, 2], pads=[1, 1, 1, 1]),
                n("Tanh", ["y"], ["o"]),
            ],
            [*base, t("k", (4, 3, 4, 4))],
        ),
        _model(
            [*head, n("Conv", ["x", "c", "cb"], ["y"], pads=[1, 1, 1, 1], group=2), n("Relu", ["y"], ["o"])],
            [*base, t("c", (4, 2, 3, 3)), t("cb", (4,))],
            rgb_from=4,
        ),
        _model(
            [
                *head,
                n("Resize", ["x", "", "sc"], ["y"], mode="linear"),
                n("InstanceNormalization", ["y", "g", "b2"], ["o"]),
            ],
            [
                *base,
                numpy_helper.from_array(np.array([1, 1, 2, 2], np.float32), "sc"),
                t("g", (4,)),
                t("b2", (4,)),
            ],
            rgb_from=4,
        ),
        _model(
            [*head, n("BatchNormalization", ["x", "g", "b2", "m", "v"], ["y"]), n("Sigmoid", ["y"], ["o"])],
            [
                *base,
                t("g", (4,)),
                t("b2", (4,)),
                t("m", (4,)),
                numpy_helper.from_array(np.ones(4, np.float32), "v"),
            ],
            rgb_from=4,
        ),
        _model(
            [
                *head,
                n("GroupNormalization", ["x", "g", "b2"], ["y"], num_groups=2),
                n("Pad", ["y", "p"], ["q"], mode="reflect"),
                n("Slice", ["q", "st", "en", "ax"], ["o"]),
            ],
            [
                *base,
                t("g", (4,)),
                t("b2", (4,)),
                i64("p", [0, 0, 1, 1, 0, 0, 1, 1]),
                i64("st", [1]),
                i64("en", [4]),
                i64("ax", [1]),
            ],
        ),
        _model(
            [
                n("MatMul", ["z", "w"], ["h"]),
                n("LayerNormalization", ["h", "g"], ["l"], axis=-1),
                n("PRelu", ["l", "a"], ["q"]),
                n("Clip", ["q", "lo", "hi"], ["o"]),
            ],
            [
                t("w", (4, 784)),
                t("g", (784,)),
                t("a", (784,)),
                numpy_helper.from_array(np.float32(0), "lo"),
                numpy_helper.from_array(np.float32(1), "hi"),
            ],
        ),
        _model(
            [
                *head,
                n("Transpose", ["x"], ["tr"], perm=[0, 2, 3, 1]),
                n("Concat", ["tr", "tr"], ["c"], axis=3),
                n("Gelu", ["c"], ["e"]),
                n("Elu", ["e"], ["o"]),
            ],
            base,
        ),
        _model(
            [*head, n("Add", ["x", "x"], ["a"]), n("Mul", ["a", "m"], ["q"]), n("Softplus", ["q"], ["o"])],
            [*base, t("m", (4, 1, 1))],
            rgb_from=4,
        ),
    ]


def _mutate_attribute(rng: random.Random, proto) -> str:
    node = rng.choice(list(proto.graph.node))
    value = rng.choice([0, -1, 1, 2**31, -(2**40), 3, 7])
    if node.attribute and rng.random() < 0.6:
        attribute = rng.choice(list(node.attribute))
        if attribute.ints:
            attribute.ints[rng.randrange(len(attribute.ints))] = value
        elif attribute.type == attribute.INT:
            attribute.i = value
        elif attribute.type == attribute.FLOAT:
            attribute.f = rng.choice([float("nan"), float("inf"), -1.0, 1e30])
        else:
            attribute.s = b"SAME_UPPER"
    else:
        name = rng.choice(
            [
                "kernel_shape",
                "group",
                "strides",
                "pads",
                "axis",
                "perm",
                "dilations",
                "auto_pad",
                "output_padding",
                "num_groups",
                "mode",
                "epsilon",
            ]
        )
        node.attribute.append(
            helper.make_attribute(name, rng.choice([value, [value, value], [1, 2, 3, 4], "x"]))
        )
    return "attribute"


def _mutate_tensor(rng: random.Random, proto) -> str:
    tensor = rng.choice(list(proto.graph.initializer))
    choice = rng.randrange(5)
    if choice == 0 and tensor.dims:
        tensor.dims[rng.randrange(len(tensor.dims))] = rng.choice([0, -1, 2**40, 3, 10**6])
        return "dims"
    if choice == 1:
        tensor.dims.append(rng.choice([1, 2, 2**30]))
        return "rank"
    if choice == 2 and tensor.data_type == TensorProto.FLOAT and tensor.raw_data:
        values = np.frombuffer(tensor.raw_data, np.float32).copy()
        values[rng.randrange(values.size)] = rng.choice([np.nan, np.inf])
        tensor.raw_data = values.tobytes()
        return "nan"
    if choice in (0, 3):
        tensor.data_type = rng.choice([0, 8, 13, 16, 99, TensorProto.INT64])
        return "dtype"
    tensor.raw_data = tensor.raw_data[: rng.randrange(len(tensor.raw_data) + 1)]
    return "short data"


def _external(rng: random.Random, proto) -> tuple[str, dict[str, bytes]]:
    tensor = max(proto.graph.initializer, key=lambda t: len(t.raw_data))
    data = tensor.raw_data
    tensor.ClearField("raw_data")
    tensor.data_location = TensorProto.EXTERNAL
    location = rng.choice(["w.data", "../w.data", "/etc/passwd", "a/w.data", "", "..", "C:w.data", "w.data"])
    offset = rng.choice([0, 0, 4, -4, len(data), 2**62])
    length = rng.choice([len(data), len(data), len(data) + 4, 0, -1, 2**62, "x"])
    for key, value in (("location", location), ("offset", str(offset)), ("length", str(length))):
        tensor.external_data.add(key=key, value=value)
    blob = b"\0" * max(offset, 0) + data if offset < 2**20 else data
    return "external", {rng.choice(["w.data", "other.data"]): blob[: rng.choice([len(blob), len(blob) // 2])]}


def _grow(rng: random.Random, proto) -> str:
    kind = rng.choice(["nodes", "initializers", "huge declared", "relu chain"])
    graph = proto.graph
    if kind == "nodes":
        graph.node.extend([helper.make_node("Identity", ["z"], [f"i{k}"]) for k in range(2100)])
    elif kind == "initializers":
        graph.initializer.extend(
            [numpy_helper.from_array(np.zeros(1, np.float32), f"x{k}") for k in range(4200)]
        )
    elif kind == "huge declared":
        graph.initializer.append(TensorProto(name="big", data_type=TensorProto.FLOAT, dims=[2**20, 2**20]))
    else:
        last = graph.node[-1].output[0]
        graph.node.extend(
            [helper.make_node("Relu", [last if k == 0 else f"r{k - 1}"], [f"r{k}"]) for k in range(300)]
        )
        graph.output[0].name = "r299"
    return kind


def onnx_cases(rng: random.Random, n: int) -> Iterator[tuple[str, bytes, dict[str, bytes]]]:
    """``n`` mutated graphs: ``(kind, graph bytes, external files by name)``."""
    pool = seeds(rng)
    for _ in range(n):
        proto = type(pool[0])()
        proto.CopyFrom(rng.choice(pool))
        external: dict[str, bytes] = {}
        choice = rng.randrange(6)
        if choice == 0:
            kind = _mutate_attribute(rng, proto)
        elif choice == 1:
            kind = _mutate_tensor(rng, proto)
        elif choice == 2:
            kind, external = _external(rng, proto)
        elif choice == 3:
            kind = _grow(rng, proto)
        else:
            kind = "valid" if choice == 4 else "bytes"
        data = proto.SerializeToString()
        if kind == "bytes":
            cut = rng.randrange(len(data))
            data = (
                data[:cut] + bytes(rng.randrange(256) for _ in range(rng.randrange(1, 8))) + data[cut + 1 :]
            )
        yield f"{kind}", data, external
