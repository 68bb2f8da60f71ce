"""A decoder trained anywhere, as a model: an ONNX file of ``z [B, D] -> image`` rebuilt in torch.

``torch.onnx.export`` of someone else's decoder becomes a ``GenerativeModel`` that every page
explores like a checkpoint. The graph is not run by ONNX Runtime: it is rebuilt, operator by
operator, from the same layers our own decoders use. So it decodes on the server with torch,
it is differentiable (GAN inversion finds latents for an image), and
``gen_core.media.browser_decoder`` hands it to the browser's runtime for live decoding; one
engine, no 28 MB runtime to ship.

What is accepted is a chain: each operator takes the previous one's output and constants only.
Operators: Gemm, MatMul, Add/Sub/Mul/Div by a constant, Relu, LeakyRelu, Sigmoid, Tanh,
BatchNormalization, ConvTranspose (square, ungrouped), Reshape, Flatten, Identity, Dropout and
Constant, from the standard domain. Anything else is refused with its name: the file is hostile
input like any upload, so external data (it names files on the server), other domains, functions
and subgraphs are refused too, and every activation's size is bounded before anything runs.

Optional metadata (``metadata_props``, set with ``onnx.helper.set_model_props``):
``latent_atlas.latent_spec`` (a JSON list of ``LatentDim``; default N(0, 1) per input column),
``latent_atlas.output_range`` (``[low, high]`` of the output; default ``[-1, 1]`` after a final
Tanh, else ``[0, 1]``) and ``latent_atlas.dataset`` (e.g. ``mnist``, for maps and inversion).
"""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import numpy as np
import torch
from torch import nn

from gen_core.files.card import ModelCard
from gen_core.files.errors import CheckpointError
from gen_core.models import GenerativeModel, LatentDim
from gen_core.models.base import ScaleShift, gaussian_spec

STANDARD_DOMAINS = ("", "ai.onnx")
MAX_LATENT_DIM = 4096
MAX_ACTIVATION = 2**22  # elements per sample at any point of the chain
MAX_IMAGE_SIDE = 512
PROPERTY_PREFIX = "latent_atlas."


@dataclasses.dataclass(frozen=True)
class OnnxDecoderConfig:
    latent_dim: int
    image_shape: tuple[int, int, int]
    arch: str = "onnx"


class OnnxDecoder(GenerativeModel):
    """A decoder rebuilt from an ONNX graph: ``layers`` applied in turn to ``z`` ``[B, D]``."""

    family = "onnx"
    kind_name = "ONNX decoder"
    config_class = OnnxDecoderConfig

    def __init__(self, config: OnnxDecoderConfig, layers: list[nn.Module], spec: list[LatentDim]) -> None:
        super().__init__(config)
        self.layers = nn.Sequential(*layers)
        self._spec = spec

    @property
    def latent_spec(self) -> list[LatentDim]:
        return self._spec

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Latents ``[B, D]`` to images ``[B, C, H, W]`` in [0, 1]."""
        return self.layers(z).clamp(0, 1)

    def decoder_layers(self) -> list[nn.Module]:
        return list(self.layers)


def load_onnx_bytes(data: bytes, where: Path) -> OnnxDecoder:
    """Rebuild the decoder in an ONNX file's bytes; ``CheckpointError`` names what is refused."""
    import onnx  # deferred: only ONNX files pay for the parser

    try:
        proto = onnx.load_model_from_string(bytes(data))
    except Exception as err:  # the protobuf parser raises its own DecodeError and others
        raise CheckpointError(where, f"not a readable ONNX file ({type(err).__name__})") from None
    _check_envelope(where, proto)
    graph = proto.graph
    constants = _constants(where, graph)
    latent_dim = _latent_input(where, graph, constants)
    builder = _ChainBuilder(where, latent_dim)
    current = next(i.name for i in graph.input if i.name not in constants)
    for node in graph.node:
        if node.op_type == "Constant":
            continue  # read by _constants
        if not node.input or node.input[0] != current or len(node.output) != 1:
            raise CheckpointError(where, f"operator {node.op_type} ({node.name or 'unnamed'}) does not "
                                  "continue a single chain from the latent input")
        builder.add(node, [constants.get(name) for name in node.input[1:]])
        current = node.output[0]
    if len(graph.output) != 1 or graph.output[0].name != current:
        raise CheckpointError(where, "the graph's one output must be the end of the chain")
    properties = {p.key: p.value for p in proto.metadata_props}
    output_range = _output_range(where, properties, builder.layers)
    image_shape = builder.finish_image(output_range)
    spec = _latent_spec(where, properties, latent_dim)
    config = OnnxDecoderConfig(latent_dim, image_shape)
    model = OnnxDecoder(config, builder.layers, spec).eval()
    model.card = ModelCard(family=OnnxDecoder.family, arch=config.arch, config=dataclasses.asdict(config),
                           latent_spec=tuple(spec), image_shape=image_shape, output_range=output_range,
                           dataset=properties.get(PROPERTY_PREFIX + "dataset", "")[:64],
                           provenance={"format": "onnx",
                                       "producer": f"{proto.producer_name} {proto.producer_version}"[:80],
                                       "ops": tuple(n.op_type for n in graph.node)})
    model.card = model.card.with_architecture(model)
    return model


def _check_envelope(where: Path, proto) -> None:
    if proto.functions:
        raise CheckpointError(where, "ONNX local functions are not accepted")
    for opset in proto.opset_import:
        if opset.domain not in STANDARD_DOMAINS:
            raise CheckpointError(where, f"operator domain {opset.domain!r} is not the standard one")
    for node in proto.graph.node:
        if node.domain not in STANDARD_DOMAINS:
            raise CheckpointError(where, f"operator {node.op_type} is from domain {node.domain!r}")
        if any(a.g.ByteSize() or len(a.graphs) for a in node.attribute):
            raise CheckpointError(where, f"operator {node.op_type} holds a subgraph")


def _constants(where: Path, graph) -> dict[str, np.ndarray]:
    """Initializers and Constant outputs as arrays; external data is refused before any read."""
    from onnx import numpy_helper

    tensors = [(t.name, t) for t in graph.initializer]
    for node in graph.node:
        if node.op_type == "Constant":
            value = next((a.t for a in node.attribute if a.name == "value"), None)
            if value is None or len(node.output) != 1:
                raise CheckpointError(where, "a Constant without a tensor value is not accepted")
            tensors.append((node.output[0], value))
    constants = {}
    for name, tensor in tensors:
        if tensor.data_location == tensor.EXTERNAL or len(tensor.external_data):
            raise CheckpointError(where, f"tensor {name!r} refers to external data (a file on the "
                                  "server); save the model with its weights inside")
        if math.prod(tensor.dims) > MAX_ACTIVATION * 16:
            raise CheckpointError(where, f"tensor {name!r} declares {list(tensor.dims)} elements")
        try:
            constants[name] = numpy_helper.to_array(tensor)
        except Exception as err:
            raise CheckpointError(where, f"tensor {name!r} is unreadable ({err})") from None
    return constants


def _latent_input(where: Path, graph, constants: dict) -> int:
    inputs = [i for i in graph.input if i.name not in constants]
    if len(inputs) != 1:
        raise CheckpointError(where, f"the graph needs one input (the latent), it has {len(inputs)}")
    dims = inputs[0].type.tensor_type.shape.dim
    if len(dims) != 2 or not 1 <= dims[1].dim_value <= MAX_LATENT_DIM:
        shown = [d.dim_value or d.dim_param for d in dims]
        raise CheckpointError(where, f"the input must be [batch, D] with 1 <= D <= {MAX_LATENT_DIM}, "
                              f"it is {shown}")
    return int(dims[1].dim_value)


def _latent_spec(where: Path, properties: dict, latent_dim: int) -> list[LatentDim]:
    text = properties.get(PROPERTY_PREFIX + "latent_spec")
    if text is None:
        return gaussian_spec(latent_dim)
    try:
        spec = [LatentDim.from_json(d) for d in json.loads(text)]
    except (TypeError, ValueError, AttributeError) as err:
        raise CheckpointError(where, f"latent_atlas.latent_spec is invalid ({err})") from None
    if len(spec) != latent_dim or any(d.kind == "categorical" for d in spec):
        raise CheckpointError(where, f"latent_atlas.latent_spec must list {latent_dim} gaussian or "
                              "uniform dimensions")
    return spec


def _output_range(where: Path, properties: dict, layers: list[nn.Module]) -> tuple[float, float]:
    text = properties.get(PROPERTY_PREFIX + "output_range")
    if text is None:
        return (-1.0, 1.0) if layers and isinstance(layers[-1], nn.Tanh) else (0.0, 1.0)
    try:
        low, high = (float(v) for v in json.loads(text))
    except (TypeError, ValueError) as err:
        raise CheckpointError(where, f"latent_atlas.output_range is invalid ({err})") from None
    if not (math.isfinite(low) and math.isfinite(high) and low < high):
        raise CheckpointError(where, f"latent_atlas.output_range {text!r} is not an interval")
    return low, high


# ONNX operator -> the _ChainBuilder method that turns it into layers.
OPERATORS = {"Gemm": "_gemm", "MatMul": "_matmul", "Add": "_add_constant", "Sub": "_subtract",
             "Mul": "_multiply", "Div": "_divide", "Relu": "_relu", "LeakyRelu": "_leaky_relu",
             "Sigmoid": "_sigmoid", "Tanh": "_tanh", "BatchNormalization": "_batch_norm",
             "ConvTranspose": "_conv_transpose", "Reshape": "_reshape", "Flatten": "_flatten",
             "Identity": "_identity", "Dropout": "_identity"}  # inference: dropout passes through


class _ChainBuilder:
    """Turns chain operators into torch layers, tracking the per-sample shape as it goes."""

    def __init__(self, where: Path, latent_dim: int) -> None:
        self.where, self.shape, self.layers = where, [latent_dim], []

    def refuse(self, node, why: str):
        raise CheckpointError(self.where, f"operator {node.op_type} ({node.name or 'unnamed'}): {why}")

    def set_shape(self, node, shape: list[int]) -> None:
        if any(s < 1 for s in shape) or math.prod(shape) > MAX_ACTIVATION:
            self.refuse(node, f"its output {shape} is empty or too large")
        self.shape = shape

    def add(self, node, args: list[np.ndarray | None]) -> None:
        if any(a is None for a in args):
            self.refuse(node, "only its first input may be computed; the others must be constants")
        attrs = {a.name: _attribute(a) for a in node.attribute}
        method = OPERATORS.get(node.op_type)
        if method is None:
            self.refuse(node, f"not supported (accepted: {', '.join(OPERATORS)})")
        floats = [np.asarray(a, dtype=np.float32) if a.dtype.kind == "f" else a for a in args]
        getattr(self, method)(node, attrs, floats)

    def _linear(self, node, weight: np.ndarray, bias: np.ndarray | None) -> None:
        if len(self.shape) != 1 or weight.ndim != 2 or weight.shape[1] != self.shape[0]:
            self.refuse(node, f"a [{weight.shape}] weight cannot take an input of shape {self.shape}")
        layer = nn.Linear(weight.shape[1], weight.shape[0])
        layer.weight.data = _tensor(weight)
        out = weight.shape[0]
        bias = np.zeros(out, np.float32) if bias is None else np.broadcast_to(bias, (1, out)).reshape(out)
        layer.bias.data = _tensor(bias)
        self.set_shape(node, [out])
        self.layers.append(layer)

    def _gemm(self, node, attrs, args) -> None:
        if attrs.get("transA", 0):
            self.refuse(node, "transA is not supported")
        weight = args[0] if attrs.get("transB", 0) else args[0].T
        bias = args[1] * attrs.get("beta", 1.0) if len(args) > 1 else None
        self._linear(node, weight * attrs.get("alpha", 1.0), bias)

    def _matmul(self, node, attrs, args) -> None:
        self._linear(node, args[0].T, None)

    def _add_constant(self, node, attrs, args) -> None:
        last = self.layers[-1] if self.layers else None
        if isinstance(last, nn.Linear) and args[0].size == self.shape[0] and args[0].size > 1:
            last.bias.data += _tensor(args[0].reshape(-1))  # MatMul + Add
        else:
            self._scalar(node, args[0], 1.0, 1.0)

    def _subtract(self, node, attrs, args) -> None:
        self._scalar(node, args[0], 1.0, -1.0)

    def _multiply(self, node, attrs, args) -> None:
        self._scalar(node, args[0], None, 0.0)

    def _divide(self, node, attrs, args) -> None:
        if args[0].size == 1 and float(args[0].reshape(-1)[0]) != 0.0:
            self._scalar(node, 1.0 / args[0], None, 0.0)
        else:
            self.refuse(node, "only division by a non-zero scalar constant is supported")

    def _scalar(self, node, value: np.ndarray, scale: float | None, shift_sign: float) -> None:
        """``x * value`` (``scale`` None) or ``x + shift_sign * value``, for a scalar constant."""
        value = np.asarray(value)
        if value.size != 1 or not np.isfinite(value).all():
            self.refuse(node, "only a finite scalar constant is supported")
        number = float(value.reshape(-1)[0])
        layer = ScaleShift(number, 0.0) if scale is None else ScaleShift(scale, shift_sign * number)
        self.layers.append(layer)

    def _relu(self, node, attrs, args) -> None:
        self.layers.append(nn.ReLU())

    def _leaky_relu(self, node, attrs, args) -> None:
        self.layers.append(nn.LeakyReLU(float(attrs.get("alpha", 0.01))))

    def _sigmoid(self, node, attrs, args) -> None:
        self.layers.append(nn.Sigmoid())

    def _tanh(self, node, attrs, args) -> None:
        self.layers.append(nn.Tanh())

    def _identity(self, node, attrs, args) -> None:
        pass

    def _batch_norm(self, node, attrs, args) -> None:
        if len(args) != 4 or len({a.size for a in args}) != 1 or args[0].size != self.shape[0]:
            self.refuse(node, f"needs scale, bias, mean and variance for {self.shape[0]} channels")
        layer = (nn.BatchNorm1d if len(self.shape) == 1 else nn.BatchNorm2d)(
            self.shape[0], eps=float(attrs.get("epsilon", 1e-5)))
        for target, value in zip((layer.weight, layer.bias, layer.running_mean, layer.running_var),
                                 args, strict=True):
            target.data = _tensor(value.reshape(-1))
        if len(self.shape) not in (1, 3):
            self.refuse(node, f"an input of shape {self.shape} is not supported")
        self.layers.append(layer.eval())

    def _conv_transpose(self, node, attrs, args) -> None:
        weight = args[0]
        kernel = attrs.get("kernel_shape", list(weight.shape[2:]))
        strides, pads = attrs.get("strides", [1, 1]), attrs.get("pads", [0, 0, 0, 0])
        plain = (attrs.get("group", 1) == 1 and attrs.get("dilations", [1, 1]) == [1, 1]
                 and not any(attrs.get("output_padding", [0, 0]))
                 and attrs.get("auto_pad", "NOTSET") in ("NOTSET", b"NOTSET"))
        square = len(set(kernel)) == 1 and len(set(strides)) == 1 and len(set(pads)) == 1
        fits = weight.ndim == 4 and len(self.shape) == 3 and weight.shape[0] == self.shape[0]
        if not (plain and square and fits):
            self.refuse(node, "only square, ungrouped, undilated transposed convolutions of a "
                        f"[C, H, W] input are supported (input {self.shape}, weight {list(weight.shape)})")
        k, s, p = int(kernel[0]), int(strides[0]), int(pads[0])
        layer = nn.ConvTranspose2d(weight.shape[0], weight.shape[1], k, s, p, bias=True)
        layer.weight.data = _tensor(weight)
        bias = args[1].reshape(-1) if len(args) > 1 else np.zeros(weight.shape[1], np.float32)
        layer.bias.data = _tensor(bias)
        self.set_shape(node, [weight.shape[1], *((n - 1) * s - 2 * p + k for n in self.shape[1:])])
        self.layers.append(layer)

    def _reshape(self, node, attrs, args) -> None:
        target = [int(v) for v in np.asarray(args[0]).reshape(-1)]
        if not target or target[0] not in (0, -1, 1) or any(v < 1 for v in target[1:]):
            self.refuse(node, f"the shape {target} must keep the batch first and give every other size")
        self._to_shape(node, target[1:])

    def _flatten(self, node, attrs, args) -> None:
        if attrs.get("axis", 1) != 1:
            self.refuse(node, "only axis 1 is supported")
        self._to_shape(node, [math.prod(self.shape)])

    def _to_shape(self, node, shape: list[int]) -> None:
        if math.prod(shape) != math.prod(self.shape):
            self.refuse(node, f"cannot reshape {self.shape} into {shape}")
        if shape != self.shape:
            if len(self.shape) > 1:
                self.layers.append(nn.Flatten())
            if len(shape) > 1:
                self.layers.append(nn.Unflatten(1, tuple(shape)))
            self.set_shape(node, shape)

    def finish_image(self, output_range: tuple[float, float]) -> tuple[int, int, int]:
        """Map the output into [0, 1] and to ``[C, H, W]``; returns the image shape."""
        low, high = output_range
        if (low, high) != (0.0, 1.0):
            self.layers.append(ScaleShift(1.0 / (high - low), -low / (high - low)))
        if len(self.shape) == 1:
            size = self.shape[0]
            for channels in (1, 3):
                side = math.isqrt(size // channels)
                if channels * side * side == size:
                    self.layers.append(nn.Unflatten(1, (channels, side, side)))
                    self.shape = [channels, side, side]
                    break
        if len(self.shape) != 3 or self.shape[0] not in (1, 3) or max(self.shape[1:]) > MAX_IMAGE_SIDE:
            raise CheckpointError(self.where, f"the output of shape {self.shape} is not an image "
                                  f"([1 or 3, H, W] up to {MAX_IMAGE_SIDE} pixels a side, or its flat form)")
        return tuple(self.shape)


def _tensor(values: np.ndarray) -> torch.Tensor:
    """A float32 copy: the parsed arrays are read-only views of the file's bytes."""
    return torch.tensor(np.asarray(values, dtype=np.float32))


def _attribute(attribute):
    from onnx import helper

    return helper.get_attribute_value(attribute)
