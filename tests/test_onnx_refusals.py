"""Every refusal of ``gen_core.files.onnx_graph`` names the problem; each is decided fast."""

from __future__ import annotations

import time

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from gen_core.files.checkpoint import CheckpointError, load_model, load_model_bytes


def model_bytes(nodes, initializers=(), latent=4, output="y", props=None) -> bytes:
    graph = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info("z", TensorProto.FLOAT, ["b", latent])],
        [helper.make_tensor_value_info(output, TensorProto.FLOAT, None)],
        initializer=list(initializers),
    )
    proto = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    if props:
        helper.set_model_props(proto, props)
    return proto.SerializeToString()


def dense(rows: int, cols: int = 4, name: str = "w", value: float = 0.01) -> TensorProto:
    return numpy_helper.from_array(np.full((rows, cols), value, np.float32), name)


def sigmoid_picture(rows: int = 784, latent: int = 4, **kw) -> bytes:
    nodes = [helper.make_node("Gemm", ["z", "w"], ["h"], transB=1), helper.make_node("Sigmoid", ["h"], ["y"])]
    return model_bytes(nodes, [dense(rows, latent)], latent, **kw)


def external_graph(location: str, offset: int = 0, length: int | None = None) -> bytes:
    proto = onnx.load_model_from_string(sigmoid_picture())
    weight = proto.graph.initializer[0]
    weight.ClearField("raw_data")
    weight.data_location = TensorProto.EXTERNAL
    entries = {"location": location, "offset": str(offset), "length": str(length or 784 * 4 * 4)}
    for key, value in entries.items():
        weight.external_data.add(key=key, value=value)
    return proto.SerializeToString()


def refused(data: bytes, match: str, external=None) -> None:
    start = time.perf_counter()
    with pytest.raises(CheckpointError, match=match):
        load_model_bytes(data, "bad.onnx", external=external)
    assert time.perf_counter() - start < 2.0


WEIGHTS = np.full(784 * 4, 0.01, np.float32).tobytes()


@pytest.mark.parametrize(
    "location, match",
    [
        ("../x.data", r"'\.\./x\.data', which is not a plain file name"),
        ("/etc/passwd", r"'/etc/passwd', which is not a plain file name"),
        ("sub/x.data", "not a plain file name"),
        ("x.onnx.data", r"weights are in 'x.onnx.data' beside the graph: put that file in the same folder"),
    ],
)
def test_external_data_outside_a_plain_sibling_file_is_refused(location, match):
    refused(external_graph(location), match)


def test_external_offsets_and_lengths_are_checked_before_reading():
    refused(
        external_graph("x.data", offset=8),
        r"reads bytes 8\.\.12552 of 'x.data', which holds 12544",
        {"x.data": WEIGHTS},
    )
    refused(
        external_graph("x.data", length=100),
        "declares 100 external bytes, its shape and type need 12544",
        {"x.data": WEIGHTS},
    )


def test_external_data_loads_from_an_upload_pair_and_from_the_folder(tmp_path):
    model = load_model_bytes(external_graph("x.onnx.data"), "x.onnx", external={"x.onnx.data": WEIGHTS})
    assert model.image_shape == (1, 28, 28)
    (tmp_path / "x.onnx").write_bytes(external_graph("x.onnx.data"))
    (tmp_path / "x.onnx.data").write_bytes(WEIGHTS)
    assert load_model(tmp_path / "x.onnx").image_shape == (1, 28, 28)
    proto = onnx.load_model_from_string(sigmoid_picture())  # onnx's own writer
    onnx.save_model(
        proto, tmp_path / "y.onnx", save_as_external_data=True, location="y.onnx.data", size_threshold=0
    )
    assert load_model(tmp_path / "y.onnx").image_shape == (1, 28, 28)


def test_an_attribute_disagreeing_with_the_real_weight_is_refused_naming_both():
    w = numpy_helper.from_array(np.zeros((4, 1, 3, 3), np.float32), "w")
    nodes = [
        helper.make_node("Reshape", ["z", "s"], ["r"]),
        helper.make_node("ConvTranspose", ["r", "w"], ["y"], kernel_shape=[5, 5]),
    ]
    shape = numpy_helper.from_array(np.array([-1, 4, 1, 1], np.int64), "s")
    refused(
        model_bytes(nodes, [w, shape]), r"kernel_shape \[5, 5\] disagrees with the weight's kernel \[3, 3\]"
    )
    nodes[1] = helper.make_node("ConvTranspose", ["r", "w"], ["y"], group=3)
    refused(model_bytes(nodes, [w, shape]), r"group=3 and the weight \[4, 1, 3, 3\]")


def test_graphs_over_the_count_caps_are_refused_before_parsing():
    relu = helper.make_node("Relu", ["z"], ["z"]).SerializeToString()
    graph = helper.make_graph([], "g", [], []).SerializeToString()
    # 200k nodes, written on the wire directly: field 1 of the graph, field 7 of the model
    nodes = b"".join(b"\x0a" + bytes([len(relu)]) + relu for _ in range(200_000))
    body = graph + nodes
    data = b"\x3a" + _varint(len(body)) + body
    refused(data, "more than 2000 nodes")
    one = numpy_helper.from_array(np.zeros(1, np.float32), "a").SerializeToString()
    many = b"".join([b"\x2a" + bytes([len(one)]) + one] * 2_000_000)
    refused(b"\x3a" + _varint(len(many)) + many, "more than 4096 initializers|more than 16384 entries")


def _varint(n: int) -> bytes:
    out = b""
    while True:
        out += bytes([(n & 0x7F) | (0x80 if n > 0x7F else 0)])
        n >>= 7
        if not n:
            return out


def test_cost_caps_are_checked_before_anything_is_built():
    huge = TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[60000, 1000])  # 229 MiB declared, no data
    refused(
        model_bytes([helper.make_node("Gemm", ["z", "w"], ["y"], transB=1)], [huge]), "over the weight cap"
    )
    refused(sigmoid_picture(latent=5000), "no single latent input")
    refused(sigmoid_picture(rows=3 * 600 * 600), r"over the cap of 512 pixels a side")
    refused(sigmoid_picture(rows=10), "is not an image")
    shape = numpy_helper.from_array(np.array([-1, 8, 64, 64], np.int64), "s")
    too_many = [
        helper.make_node("Gemm", ["z", "w"], ["h"], transB=1),
        helper.make_node("Reshape", ["h", "s"], ["y"]),
    ]
    refused(model_bytes(too_many, [dense(8 * 64 * 64), shape]), "8 channels, over the cap of 4")
    wide = numpy_helper.from_array(np.array([-1, 1, 2048, 2048], np.int64), "s")
    refused(model_bytes(too_many, [dense(1), wide]), "cannot reshape")
    blow_up = helper.make_node("Resize", ["r", "", "sc"], ["y"], mode="nearest")
    scales = numpy_helper.from_array(np.array([1, 1, 512, 512], np.float32), "sc")
    nodes = [
        helper.make_node("Gemm", ["z", "w"], ["h"], transB=1),
        helper.make_node("Reshape", ["h", "s"], ["r"]),
        blow_up,
    ]
    small = numpy_helper.from_array(np.array([-1, 1, 8, 8], np.int64), "s")
    refused(model_bytes(nodes, [dense(64), small, scales]), r"over the activation cap of 4194304")
    conv = numpy_helper.from_array(np.zeros((64, 64, 3, 3), np.float32), "k")
    block = numpy_helper.from_array(np.array([-1, 64, 64, 64], np.int64), "s")
    convs = [helper.make_node("Conv", [f"c{i}", "k"], [f"c{i + 1}"], pads=[1, 1, 1, 1]) for i in range(20)]
    deep = [
        helper.make_node("Gemm", ["z", "w"], ["h"], transB=1),
        helper.make_node("Reshape", ["h", "s"], ["c0"]),
        *convs,
    ]
    refused(model_bytes(deep, [dense(64 * 64 * 64), block, conv], output="c20"), r"over the cap of 2e\+09")


def test_non_finite_weights_and_broken_bytes_are_refused():
    nan = dense(784, value=float("nan"))
    refused(model_bytes([helper.make_node("Gemm", ["z", "w"], ["y"], transB=1)], [nan]), "non-finite")
    data = sigmoid_picture()
    refused(data[: len(data) // 2], "not a readable ONNX file")
    refused(b"\x08\xff" * 40, "not a readable ONNX file")
    refused(sigmoid_picture(props={"latent_atlas.output_range": "[1, 0]"}), "is not an interval")


def test_an_unsupported_graph_lists_every_missing_operator():
    nodes = [helper.make_node("Softmax", ["z"], ["a"]), helper.make_node("LSTM", ["a"], ["y"])]
    refused(model_bytes(nodes), r"unsupported operator\(s\) LSTM, Softmax")


def test_more_inputs_or_other_kinds_of_input_are_refused_by_name():
    graph = helper.make_graph(
        [helper.make_node("Relu", ["z"], ["y"])],
        "g",
        [
            helper.make_tensor_value_info("z", TensorProto.FLOAT, ["b", 4]),
            helper.make_tensor_value_info("mask", TensorProto.FLOAT, ["b", 3, 8, 8]),
        ],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
    )
    data = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]).SerializeToString()
    refused(data, r"second input 'mask' \['b', 3, 8, 8\] \(type 1\) is not a class label")
