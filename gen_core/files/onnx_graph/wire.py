"""Counting a serialized ONNX model's graph entries on the protobuf wire, before parsing it.

Parsing builds one Python-visible message per node and initializer; a file of 2 million empty
initializers takes a second and a gigabyte to parse. Walking the wire format instead stops at the
first field over the cap, so a hostile file costs microseconds.
"""

from __future__ import annotations

from gen_core.files.onnx_graph.limits import MAX_GRAPH_FIELDS, MAX_INITIALIZERS, MAX_NODES

MODEL_GRAPH_FIELD = 7
GRAPH_NODE_FIELD, GRAPH_INITIALIZER_FIELD = 1, 5
MAX_MODEL_FIELDS = 4096  # opset imports, metadata properties, functions, ...


class WireError(ValueError):
    """The bytes are not a protobuf message, or hold more entries than the caps allow."""


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if pos >= len(data) or shift > 63:
            raise WireError("truncated or malformed varint")
        byte = data[pos]
        value |= (byte & 0x7F) << shift
        pos, shift = pos + 1, shift + 7
        if byte < 0x80:
            return value, pos


def _fields(data: bytes, start: int, end: int, cap: int, what: str):
    """``(field number, payload start, payload end)`` of each field in ``data[start:end]``;
    ``WireError`` after ``cap`` fields."""
    pos, count = start, 0
    while pos < end:
        count += 1
        if count > cap:
            raise WireError(f"{what} has more than {cap} entries")
        key, pos = _varint(data, pos)
        number, kind = key >> 3, key & 7
        if kind == 0:
            _, after = _varint(data, pos)
        elif kind == 1:
            after = pos + 8
        elif kind == 5:
            after = pos + 4
        elif kind == 2:
            length, pos = _varint(data, pos)
            after = pos + length
        else:
            raise WireError(f"unsupported wire type {kind}")
        if after > end:
            raise WireError("a field runs past the end of its message")
        yield number, pos, after
        pos = after


def count_graph_entries(data: bytes) -> tuple[int, int]:
    """``(nodes, initializers)`` of the graph in a serialized ``ModelProto``; ``WireError`` when
    the wire format is broken or a count is over its cap (``limits``)."""
    nodes = initializers = fields = 0
    for number, start, end in _fields(data, 0, len(data), MAX_MODEL_FIELDS, "the model"):
        if number != MODEL_GRAPH_FIELD:
            continue  # a graph may come in several pieces, which protobuf merges: count them all
        for field, _, _ in _fields(data, start, end, MAX_GRAPH_FIELDS, "the graph"):
            fields += 1
            nodes += field == GRAPH_NODE_FIELD
            initializers += field == GRAPH_INITIALIZER_FIELD
            if fields > MAX_GRAPH_FIELDS:
                raise WireError(f"the graph has more than {MAX_GRAPH_FIELDS} entries")
            if nodes > MAX_NODES:
                raise WireError(f"the graph has more than {MAX_NODES} nodes (the cap)")
            if initializers > MAX_INITIALIZERS:
                raise WireError(f"the graph has more than {MAX_INITIALIZERS} initializers (the cap)")
    return nodes, initializers
