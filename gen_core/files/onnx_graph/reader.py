"""Reading an ONNX file's protobuf: the envelope checks, its tensors (inline or external) and
node attributes, each checked against what it declares before anything is read."""

from __future__ import annotations

import math

import numpy as np

from gen_core.files.onnx_graph.limits import MAX_FILE_BYTES, MAX_WEIGHT_BYTES
from gen_core.files.onnx_graph.wire import WireError, count_graph_entries

STANDARD_DOMAINS = ("", "ai.onnx")
MIN_OPSET, MAX_OPSET = 7, 23
# ONNX TensorProto data type -> (numpy dtype, the typed field holding values when not raw_data)
DTYPES = {
    1: (np.float32, "float_data"),
    10: (np.float16, "int32_data"),
    11: (np.float64, "double_data"),
    6: (np.int32, "int32_data"),
    7: (np.int64, "int64_data"),
    3: (np.int8, "int32_data"),
    2: (np.uint8, "int32_data"),
    9: (np.bool_, "int32_data"),
}


class GraphError(Exception):
    """What is wrong with the graph, said for a person; the loader adds the file's name."""


def parse_model(data: bytes):
    """The ``ModelProto`` in ``data``, after the cheap size and count caps; ``GraphError`` else."""
    import onnx  # deferred: only ONNX files pay for the parser

    if len(data) > MAX_FILE_BYTES:
        raise GraphError(
            f"the file is {len(data) / 2**20:.0f} MiB, over the cap of {MAX_FILE_BYTES / 2**20:.0f} MiB"
        )
    try:
        count_graph_entries(data)
    except WireError as err:
        raise GraphError(f"not a readable ONNX file ({err})") from None
    try:
        proto = onnx.load_model_from_string(bytes(data))
    except Exception as err:  # the protobuf parser raises its own DecodeError and others
        raise GraphError(f"not a readable ONNX file ({type(err).__name__})") from None
    check_envelope(proto)
    return proto


def check_envelope(proto) -> None:
    """Standard operators only, no functions, subgraphs, sparse or training sections."""
    if proto.functions:
        raise GraphError("ONNX local functions are not accepted")
    if proto.training_info:
        raise GraphError("training sections are not accepted")
    for opset in proto.opset_import:
        if opset.domain not in STANDARD_DOMAINS:
            raise GraphError(f"operator domain {opset.domain[:40]!r} is not the standard one")
        if not MIN_OPSET <= opset.version <= MAX_OPSET:
            raise GraphError(f"opset {opset.version} is outside the supported {MIN_OPSET}-{MAX_OPSET}")
    if proto.graph.sparse_initializer:
        raise GraphError("sparse initializers are not accepted")
    for node in proto.graph.node:
        if node.domain not in STANDARD_DOMAINS:
            raise GraphError(f"operator {node.op_type[:40]} is from domain {node.domain[:40]!r}")
        if any(a.HasField("g") or len(a.graphs) for a in node.attribute):
            raise GraphError(f"operator {node.op_type[:40]} holds a subgraph (If/Loop/Scan are not accepted)")


def opset_version(proto) -> int:
    return max((o.version for o in proto.opset_import if o.domain in STANDARD_DOMAINS), default=MIN_OPSET)


def external_location(tensor) -> str:
    """The file a tensor's external data is in: a plain file name, else ``GraphError``."""
    name = tensor.name[:80]
    location = next((e.value for e in tensor.external_data if e.key == "location"), "")
    plain = (
        location
        and "/" not in location
        and "\\" not in location
        and location not in (".", "..")
        and "\x00" not in location
        and ":" not in location
    )
    if not plain:
        raise GraphError(
            f"tensor {name!r} names external data {location[:80]!r}, which is not a plain "
            "file name beside the graph; only a file in the same folder is read"
        )
    return location


def _external_bytes(name: str, tensor, external: dict[str, bytes], nbytes: int) -> memoryview:
    entries = {e.key: e.value for e in tensor.external_data}
    location = external_location(tensor)
    if location not in external:
        raise GraphError(
            f"the weights are in {location!r} beside the graph: put that file in the same "
            "folder or upload both files together"
        )
    blob = external[location]
    try:
        offset, length = int(entries.get("offset", 0)), int(entries.get("length", nbytes))
    except ValueError:
        raise GraphError(f"tensor {name!r} has a non-numeric external offset or length") from None
    if length != nbytes:
        raise GraphError(
            f"tensor {name!r} declares {length} external bytes, its shape and type need {nbytes}"
        )
    if offset < 0 or offset + length > len(blob):
        raise GraphError(
            f"tensor {name!r} reads bytes {offset}..{offset + length} of {location!r}, "
            f"which holds {len(blob)}"
        )
    return memoryview(blob)[offset : offset + length]


def declared_bytes(tensor) -> int:
    """What a tensor's dims and type say it holds, in bytes (before reading it)."""
    if tensor.data_type not in DTYPES:
        raise GraphError(f"tensor {tensor.name[:80]!r} has unsupported data type {tensor.data_type}")
    if any(d < 0 for d in tensor.dims):
        raise GraphError(f"tensor {tensor.name[:80]!r} has a negative dimension {list(tensor.dims)[:8]}")
    size = math.prod(tensor.dims) * np.dtype(DTYPES[tensor.data_type][0]).itemsize
    if size > MAX_WEIGHT_BYTES:
        raise GraphError(
            f"tensor {tensor.name[:80]!r} declares {list(tensor.dims)[:8]} "
            f"({size} bytes), over the weight cap of {MAX_WEIGHT_BYTES / 2**20:.0f} MiB"
        )
    return size


def read_tensor(tensor, external: dict[str, bytes], name: str | None = None) -> np.ndarray:
    """The array a ``TensorProto`` holds, its size checked against its dims and type first."""
    name = (name or tensor.name)[:80]
    nbytes = declared_bytes(tensor)
    dtype, field = DTYPES[tensor.data_type]
    shape = tuple(int(d) for d in tensor.dims)
    if tensor.data_location == tensor.EXTERNAL or len(tensor.external_data):
        raw = _external_bytes(name, tensor, external, nbytes)
    elif tensor.HasField("raw_data"):
        raw = tensor.raw_data
        if len(raw) != nbytes:
            raise GraphError(f"tensor {name!r} holds {len(raw)} bytes, its shape and type need {nbytes}")
    else:
        values = getattr(tensor, field)
        if len(values) != math.prod(shape):
            raise GraphError(
                f"tensor {name!r} holds {len(values)} values, its shape {list(shape)} "
                f"needs {math.prod(shape)}"
            )
        if dtype == np.float16:  # stored as the bits of each half in an int32
            return np.asarray(values, np.uint16).view(np.float16).reshape(shape)
        return np.asarray(values, dtype).reshape(shape)
    return np.frombuffer(raw, dtype=np.dtype(dtype).newbyteorder("<"), count=math.prod(shape)).reshape(shape)


def node_attributes(node, external: dict[str, bytes]) -> dict:
    """A node's attributes as Python values (tensors as arrays)."""
    from onnx import AttributeProto

    kinds = {
        AttributeProto.FLOAT: lambda a: float(a.f),
        AttributeProto.INT: lambda a: int(a.i),
        AttributeProto.STRING: lambda a: a.s.decode("utf-8", "replace"),
        AttributeProto.FLOATS: lambda a: [float(v) for v in a.floats],
        AttributeProto.INTS: lambda a: [int(v) for v in a.ints],
        AttributeProto.STRINGS: lambda a: [s.decode("utf-8", "replace") for s in a.strings],
        AttributeProto.TENSOR: lambda a: read_tensor(a.t, external, f"{node.name}.{a.name}"),
    }
    expected = _attribute_kinds(node.op_type)
    attributes = {}
    for attribute in node.attribute:
        read = kinds.get(attribute.type)
        if read is None:
            raise GraphError(
                f"operator {node.op_type[:40]} has attribute {attribute.name[:40]!r} of an "
                f"unsupported kind ({attribute.type})"
            )
        wanted = expected.get(attribute.name)
        if wanted is not None and wanted != attribute.type:
            raise GraphError(
                f"operator {node.op_type[:40]}: attribute {attribute.name[:40]!r} is "
                f"{AttributeProto.AttributeType.Name(attribute.type)}, the operator takes "
                f"{AttributeProto.AttributeType.Name(wanted)}"
            )
        attributes[attribute.name] = read(attribute)
    return attributes


def _attribute_kinds(op_type: str) -> dict[str, int]:
    """The kind (``AttributeProto.FLOAT``…) of each attribute of the standard ``op_type``, so a
    value of another kind is refused here, by name, rather than misread by the op's builder."""
    from onnx import defs

    try:
        schema = defs.get_schema(op_type, "")
    except defs.SchemaError:  # not a standard operator: the planner names it as unsupported
        return {}
    return {name: int(attribute.type) for name, attribute in schema.attributes.items()}
