"""Opening an ONNX decoder: from bytes (an upload, with the files uploaded beside it) or from a
path. Its companions, external data and an encoder graph (a foreign VAE), are only ever files
named by a plain file name: from the same folder, or among the files uploaded with it."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path

from gen_core.files.card import ModelCard
from gen_core.files.errors import refused_if_malformed
from gen_core.files.onnx_graph.decoder import (
    OnnxDecoder,
    OnnxDecoderConfig,
    graph_output_range,
    output_layout,
    property_range,
    sampled_range,
)
from gen_core.files.onnx_graph.encoder import OnnxVAE, with_encoder
from gen_core.files.onnx_graph.inputs import GraphInputs, Label, embedding_rows, read_inputs
from gen_core.files.onnx_graph.limits import MAX_CLASSES, MAX_FILE_BYTES
from gen_core.files.onnx_graph.module import OnnxGraph
from gen_core.files.onnx_graph.planner import plan_graph
from gen_core.files.onnx_graph.reader import GraphError, external_location, opset_version, parse_model
from gen_core.files.onnx_graph.values import Activation
from gen_core.models import LatentDim
from gen_core.models.base import gaussian_spec

PROPERTY_PREFIX = "latent_atlas."
ENCODER_SUFFIX = ".encoder.onnx"
Fetch = Callable[[str], "bytes | None"]  # a file given with the graph, by its plain name; None if absent


def load_onnx_bytes(
    data: bytes, where: Path, external: dict[str, bytes] | None = None
) -> OnnxDecoder | OnnxVAE:
    """The model in an ONNX file's bytes; ``external`` maps the files uploaded with it (external
    data, its encoder) by name. ``CheckpointError`` names what is refused."""
    with refused_if_malformed(where, "ONNX graph", (GraphError,)):
        return _model(parse_model(data), where.name, dict(external or {}).get)


def load_onnx_file(path: Path, data: bytes) -> OnnxDecoder | OnnxVAE:
    """The model in ``path`` (whose bytes are ``data``); its external data and its encoder are
    read from the files beside it that the graph names by a plain file name."""

    def sibling(name: str) -> bytes | None:
        file = path.parent / name
        if not file.is_file():
            return None
        if file.stat().st_size > MAX_FILE_BYTES:
            raise GraphError(f"{name[:80]!r} is over the cap of {MAX_FILE_BYTES / 2**20:.0f} MiB")
        return file.read_bytes()

    with refused_if_malformed(path, "ONNX graph", (GraphError,)):
        return _model(parse_model(data), path.name, sibling)


def _model(proto, name: str, fetch: Fetch) -> OnnxDecoder | OnnxVAE:
    """The decoder in ``proto`` and, where one lies beside it, its encoder: an ``OnnxVAE``."""
    decoder = _decoder(proto, _external(proto, fetch))
    properties = _properties(proto)
    encoder_name = encoder_file_name(name, properties)
    encoder_data = fetch(encoder_name)
    if encoder_data is None:
        if PROPERTY_PREFIX + "encoder" in properties:
            raise GraphError(
                f"latent_atlas.encoder names {encoder_name!r}, which is not beside the decoder: put "
                "it in the same folder or upload both files together"
            )
        return decoder
    if decoder.inputs.label is not None:
        raise GraphError("an encoder for a conditional decoder (one with a label input) is not supported")
    try:
        encoder_proto = parse_model(encoder_data)
        return with_encoder(decoder, encoder_proto, encoder_name, _external(encoder_proto, fetch), properties)
    except GraphError as err:
        raise GraphError(f"its encoder {encoder_name!r}: {err}") from None


def encoder_file_name(decoder_name: str, properties: dict[str, str]) -> str:
    """The file name of a decoder's encoder: the ``latent_atlas.encoder`` property (a plain file
    name beside the decoder, never a path), else ``NAME.encoder.onnx`` beside ``NAME.onnx``."""
    named = properties.get(PROPERTY_PREFIX + "encoder")
    if named is None:
        return Path(decoder_name).stem + ENCODER_SUFFIX
    plain = (
        0 < len(named) <= 255
        and not any(part in named for part in ("/", "\\", "..", ":", "\x00"))
        and named != decoder_name
    )
    if not plain:
        raise GraphError(
            f"latent_atlas.encoder {named[:80]!r} is not a plain file name beside the decoder "
            "(no folders, no '..', not the decoder itself)"
        )
    return named


def named_encoder(decoder_name: str, data: bytes) -> str | None:
    """The encoder file an ONNX decoder's bytes ask for (``encoder_file_name``), read without
    building the graph; ``None`` when the bytes are no readable ONNX file or name no plain file."""
    try:
        return encoder_file_name(decoder_name, _properties(parse_model(data)))
    except GraphError:
        return None


def _properties(proto) -> dict[str, str]:
    return {p.key: p.value for p in proto.metadata_props}


def _external(proto, fetch: Fetch) -> dict[str, bytes]:
    """The external-data files the graph's tensors name, read through ``fetch`` within the cap."""
    external, total = {}, 0
    for tensor in _tensors(proto.graph):
        if tensor.data_location == tensor.EXTERNAL or len(tensor.external_data):
            name = external_location(tensor)
            blob = None if name in external else fetch(name)
            if blob is not None:
                total += len(blob)
                if total > MAX_FILE_BYTES:
                    raise GraphError(f"the external data is over the cap of {MAX_FILE_BYTES / 2**20:.0f} MiB")
                external[name] = blob
    return external


def _tensors(graph):
    yield from graph.initializer
    for node in graph.node:
        yield from (a.t for a in node.attribute if a.HasField("t"))


def _decoder(proto, external: dict[str, bytes]) -> OnnxDecoder:
    graph = proto.graph
    properties = _properties(proto)
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
