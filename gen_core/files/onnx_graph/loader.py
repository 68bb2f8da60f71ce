"""Opening an ONNX decoder: from bytes (an upload, with its external-data files if any) or from a
path (its external data read only from a plain file name in the same folder)."""

from __future__ import annotations

import contextlib
import dataclasses
import json
from pathlib import Path

from gen_core.files.card import ModelCard
from gen_core.files.errors import CheckpointError
from gen_core.files.onnx_graph.decoder import (
    OnnxDecoder,
    OnnxDecoderConfig,
    graph_output_range,
    output_layout,
    property_range,
    sampled_range,
)
from gen_core.files.onnx_graph.inputs import GraphInputs, Label, embedding_rows, read_inputs
from gen_core.files.onnx_graph.limits import MAX_CLASSES, MAX_FILE_BYTES
from gen_core.files.onnx_graph.module import OnnxGraph
from gen_core.files.onnx_graph.planner import plan_graph
from gen_core.files.onnx_graph.reader import GraphError, external_location, opset_version, parse_model
from gen_core.files.onnx_graph.values import Activation
from gen_core.models import LatentDim
from gen_core.models.base import gaussian_spec

PROPERTY_PREFIX = "latent_atlas."


@contextlib.contextmanager
def _as_checkpoint_errors(where: Path):
    """Every failure leaves as a ``CheckpointError`` naming the file. The checks refuse what they
    know by name; anything else a malformed graph trips is still reported, never raised raw."""
    try:
        yield
    except CheckpointError:
        raise
    except GraphError as err:
        raise CheckpointError(where, str(err)) from None
    except Exception as err:
        raise CheckpointError(
            where, f"malformed ONNX graph: {type(err).__name__}: {str(err)[:200]}"
        ) from None


def load_onnx_bytes(data: bytes, where: Path, external: dict[str, bytes] | None = None) -> OnnxDecoder:
    """The decoder in an ONNX file's bytes; ``external`` maps external-data file names (as the graph
    names them) to their bytes. ``CheckpointError`` names what is refused."""
    with _as_checkpoint_errors(where):
        if sum(len(v) for v in (external or {}).values()) > MAX_FILE_BYTES:
            raise GraphError(f"the external data is over the cap of {MAX_FILE_BYTES / 2**20:.0f} MiB")
        return _decoder(parse_model(data), dict(external or {}))


def load_onnx_file(path: Path, data: bytes) -> OnnxDecoder:
    """The decoder in ``path`` (whose bytes are ``data``), its external data read from the files
    beside it that the graph names by a plain file name."""
    with _as_checkpoint_errors(path):
        proto = parse_model(data)
        external, total = {}, 0
        for tensor in _tensors(proto.graph):
            if tensor.data_location == tensor.EXTERNAL or len(tensor.external_data):
                name = external_location(tensor)
                sibling = path.parent / name
                if name not in external and sibling.is_file():
                    total += sibling.stat().st_size
                    if total > MAX_FILE_BYTES:
                        raise GraphError(
                            f"the external data is over the cap of {MAX_FILE_BYTES / 2**20:.0f} MiB"
                        )
                    external[name] = sibling.read_bytes()
        return _decoder(proto, external)


def _tensors(graph):
    yield from graph.initializer
    for node in graph.node:
        yield from (a.t for a in node.attribute if a.HasField("t"))


def _decoder(proto, external: dict[str, bytes]) -> OnnxDecoder:
    graph = proto.graph
    properties = {p.key: p.value for p in proto.metadata_props}
    inputs = _with_classes(graph, read_inputs(graph), properties)
    if len(graph.output) != 1:
        raise GraphError(f"the graph needs one output (the picture), it has {len(graph.output)}")
    output = graph.output[0].name
    plan = plan_graph(graph, inputs.activations(), opset_version(proto), external)
    value = plan.values.get(output)
    if not isinstance(value, Activation):
        raise GraphError(f"the output {output[:40]!r} is not computed from the latent")
    layout = output_layout(value)
    spec = _latent_spec(properties, inputs)
    config = OnnxDecoderConfig(len(spec), layout.image_shape)
    module = OnnxGraph(plan, [i.name for i in graph.input if i.name in inputs.activations()], output)
    model = OnnxDecoder(config, module, spec, inputs, layout).eval()
    declared = property_range(properties, PROPERTY_PREFIX + "output_range")
    found = (declared, "file property") if declared else graph_output_range(plan, output)
    model.output_range, source = found or sampled_range(model, plan.macs)
    ops = tuple(dict.fromkeys(n.op_type for n in graph.node))
    model.card = ModelCard(
        family=OnnxDecoder.family,
        arch=config.arch,
        config=dataclasses.asdict(config),
        latent_spec=tuple(spec),
        image_shape=layout.image_shape,
        output_range=model.output_range,
        output_range_source=source,
        dataset=properties.get(PROPERTY_PREFIX + "dataset", "")[:64],
        class_names=spec[-1].classes if inputs.label else (),
        provenance={
            "format": "onnx",
            "producer": f"{proto.producer_name} {proto.producer_version}"[:80],
            "ops": ops,
            "macs_per_picture": plan.macs,
            "peak_activation_bytes": plan.peak_bytes,
        },
    )
    model.card = model.card.with_architecture(model)
    return model


def _class_names(properties: dict[str, str]) -> tuple[str, ...]:
    text = properties.get(PROPERTY_PREFIX + "class_names")
    if text is None:
        return ()
    try:
        names = json.loads(text)
    except ValueError as err:
        raise GraphError(f"latent_atlas.class_names is not JSON ({str(err)[:80]})") from None
    if not (
        isinstance(names, list) and 2 <= len(names) <= MAX_CLASSES and all(isinstance(n, str) for n in names)
    ):
        raise GraphError(f"latent_atlas.class_names must be a list of 2 to {MAX_CLASSES} strings")
    return tuple(n[:64] for n in names)


def _with_classes(graph, inputs: GraphInputs, properties: dict[str, str]) -> GraphInputs:
    """The label's class count: one-hot width, else the embedding table's rows, else the names'."""
    label, names = inputs.label, _class_names(properties)
    if label is None:
        if names:
            raise GraphError("latent_atlas.class_names is given but the graph has no label input")
        return inputs
    classes = label.classes or (len(names) if names else embedding_rows(graph, label.name))
    if names and len(names) != classes:
        raise GraphError(f"latent_atlas.class_names lists {len(names)} names for {classes} classes")
    if not 2 <= classes <= MAX_CLASSES:
        raise GraphError(f"the label has {classes} classes, outside 2..{MAX_CLASSES}")
    return dataclasses.replace(inputs, label=Label(label.name, label.shape, label.one_hot, classes))


def _latent_spec(properties: dict[str, str], inputs: GraphInputs) -> list[LatentDim]:
    size = inputs.latent_shape[0]
    text = properties.get(PROPERTY_PREFIX + "latent_spec")
    if text is None:
        spec = gaussian_spec(size)
    else:
        try:
            spec = [LatentDim.from_json(d) for d in json.loads(text)]
        except (TypeError, ValueError, AttributeError) as err:
            raise GraphError(f"latent_atlas.latent_spec is invalid ({str(err)[:80]})") from None
        if len(spec) != size or any(d.kind == "categorical" for d in spec):
            raise GraphError(f"latent_atlas.latent_spec must list {size} gaussian or uniform dimensions")
    label = inputs.label
    if label is not None:
        names = _class_names(properties) or tuple(str(i) for i in range(label.classes))
        spec.append(LatentDim("class", "categorical", 0.0, float(label.classes - 1), names))
    return spec
