"""A foreign VAE: an ONNX decoder with its encoder graph (``images -> posterior``) beside it.

The encoder takes the decoder's pictures as ``[B, C, H, W]``, ``[B, H, W, C]``, ``[B, H, W]``
(one channel) or flat ``[B, C*H*W]``, in the pixel range it was trained on
(``latent_atlas.encoder_input_range``, else the decoder's output range). Its outputs are read as
(a) two outputs, the means and the log-variances ``[B, D]`` each, in that order; (b) one output
``[B, 2D]``, means then log-variances; or (c) one output ``[B, D]``, a deterministic encoder whose
code is a point mass (``DiagonalGaussian.point``: log-variance taken as 0). Any of them may carry
trailing unit dimensions (``[B, D, 1, 1]``).
"""

from __future__ import annotations

import dataclasses
import math

import torch
from torch import nn

from gen_core.files.onnx_graph.decoder import OnnxDecoder, property_range
from gen_core.files.onnx_graph.inputs import FLOAT_TYPES
from gen_core.files.onnx_graph.module import OnnxGraph
from gen_core.files.onnx_graph.planner import plan_graph
from gen_core.files.onnx_graph.reader import GraphError, opset_version
from gen_core.files.onnx_graph.values import Activation
from gen_core.models import EncoderModel, LatentDim
from gen_core.models.posterior import DiagonalGaussian

POSTERIORS = {
    "pair": "mean and log-variance (two outputs)",
    "halves": "mean and log-variance (one output, split in halves)",
    "point": "deterministic: one code, its log-variance taken as 0",
}


@dataclasses.dataclass(frozen=True)
class EncoderInput:
    """The encoder's image input: its ``name``, the per-picture ``shape`` it declares and the
    ``layout`` that shape has (``nchw``, ``nhwc``, ``hw`` or ``flat``)."""

    name: str
    shape: tuple[int, ...]
    layout: str


def encoder_input(graph, image_shape: tuple[int, int, int]) -> EncoderInput:
    """The one image input of an encoder graph, matched to the decoder's ``(C, H, W)``."""
    constants = {t.name for t in graph.initializer}
    given = [i for i in graph.input if i.name not in constants]
    if len(given) != 1:
        raise GraphError(f"it needs one input (the picture), it has {len(given)}")
    tensor = given[0].type.tensor_type
    dims = [d.dim_value if d.HasField("dim_value") else None for d in tensor.shape.dim]
    shape = tuple(dims[1:])
    c, h, w = image_shape
    layouts = {(c, h, w): "nchw", (h, w, c): "nhwc", (c * h * w,): "flat"}
    if c == 1:
        layouts[(h, w)] = "hw"
    if tensor.elem_type not in FLOAT_TYPES or len(dims) < 2 or shape not in layouts:
        raise GraphError(
            f"its input {given[0].name[:40]!r} {dims} does not take the decoder's pictures "
            f"{list(image_shape)} ([B, C, H, W], [B, H, W, C] or flat [B, C*H*W], floats)"
        )
    return EncoderInput(given[0].name, shape, layouts[shape])


def posterior_kind(sizes: list[int], latent_dim: int) -> str:
    """How the outputs of ``sizes`` values per picture give a posterior over ``latent_dim``."""
    if len(sizes) == 2 and sizes == [latent_dim, latent_dim]:
        return "pair"
    if sizes == [2 * latent_dim]:
        return "halves"
    if sizes == [latent_dim]:
        return "point"
    raise GraphError(
        f"its outputs hold {sizes} values per picture; the decoder's latent size is "
        f"{latent_dim}: give mean and log-variance ({latent_dim} each, or {2 * latent_dim} in one), "
        f"or one code of {latent_dim}"
    )


def output_sizes(shapes: list[tuple[int, ...]]) -> list[int]:
    """Values per picture of each output; only ``[D]`` with trailing unit dimensions is a latent."""
    sizes = []
    for shape in shapes:
        if not shape or any(n != 1 for n in shape[1:]):
            raise GraphError(f"its output {list(shape)} is not a latent [D] (or [D, 1, 1])")
        sizes.append(math.prod(shape))
    return sizes


class OnnxEncoder(nn.Module):
    """The encoder graph, wrapped to take pictures ``[B, C, H, W]`` in [0, 1] and give q(z | x)."""

    def __init__(self, graph: OnnxGraph, given: EncoderInput, kind: str,
                 input_range: tuple[float, float]) -> None:
        super().__init__()
        self.graph, self.given, self.kind, self.input_range = graph, given, kind, input_range

    def forward(self, x: torch.Tensor) -> DiagonalGaussian:
        """Pictures ``[B, C, H, W]`` in [0, 1] to the posterior over ``[B, D]``."""
        low, high = self.input_range
        x = low + x * (high - low)
        if self.given.layout == "nhwc":
            x = x.permute(0, 2, 3, 1)
        x = x.reshape(x.shape[0], *self.given.shape)
        outputs = [y.reshape(y.shape[0], -1) for y in self.graph.outputs_of(x)]
        if self.kind == "pair":
            return DiagonalGaussian(*outputs)
        if self.kind == "halves":
            return DiagonalGaussian.from_stats(outputs[0])
        return DiagonalGaussian.point(outputs[0])


class OnnxVAE(EncoderModel):
    """A foreign VAE: an ``OnnxDecoder`` and its ``OnnxEncoder``. Decoding, the latent spec and the
    browser's layers are the decoder's; ``encode`` is the encoder graph's."""

    family = "onnx-vae"
    kind_name = "ONNX VAE"
    config_class = OnnxDecoder.config_class

    def __init__(self, decoder: OnnxDecoder, encoder: OnnxEncoder) -> None:
        super().__init__(decoder.config)
        self.decoder, self.encoder = decoder, encoder
        self.output_range = decoder.output_range

    @property
    def latent_spec(self) -> list[LatentDim]:
        return self.decoder.latent_spec

    @property
    def codes_are_points(self) -> bool:
        return self.encoder.kind == "point"

    def encode(self, x: torch.Tensor) -> DiagonalGaussian:
        """Images ``[B, C, H, W]`` in [0, 1] to the posterior q(z | x) over ``[B, D]``."""
        return self.encoder(x)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Latents ``[B, D]`` to images ``[B, C, H, W]`` in [0, 1]."""
        return self.decoder.decode(z)

    def decoder_layers(self) -> list[nn.Module]:
        return self.decoder.decoder_layers()


@torch.no_grad()
def with_encoder(decoder: OnnxDecoder, proto, file_name: str, external: dict[str, bytes],
                 decoder_properties: dict[str, str]) -> OnnxVAE:
    """``decoder`` with the encoder graph ``proto`` (the file ``file_name``), planned under the same
    caps as any decoder; its card names the encoder and how its outputs are read. The input range
    property may sit in either file (the encoder's wins)."""
    graph = proto.graph
    given = encoder_input(graph, decoder.image_shape)
    plan = plan_graph(graph, {given.name: Activation(given.shape)}, opset_version(proto), external)
    names = [o.name for o in graph.output]
    values = [plan.values.get(name) for name in names]
    if not 1 <= len(names) <= 2 or not all(isinstance(v, Activation) for v in values):
        raise GraphError("it needs one or two outputs computed from the picture")
    kind = posterior_kind(output_sizes([v.shape for v in values]), decoder.latent_dim)
    properties = {**decoder_properties, **{p.key: p.value for p in proto.metadata_props}}
    key = "latent_atlas.encoder_input_range"
    input_range = property_range(properties, key) or decoder.output_range
    module = OnnxGraph(plan, [given.name], names[0], tuple(names[1:]))
    model = OnnxVAE(decoder, OnnxEncoder(module, given, kind, input_range)).eval()
    gray = torch.full((1, *decoder.image_shape), 0.5)
    posterior = model.encode(gray)
    if not (torch.isfinite(posterior.mean).all() and torch.isfinite(posterior.logvar).all()):
        raise GraphError("encoding a gray picture gives non-finite values (NaN or inf)")
    model.card = dataclasses.replace(
        decoder.card,
        family=OnnxVAE.family,
        provenance={
            **decoder.card.provenance,
            "encoder": file_name,
            "encoder_posterior": POSTERIORS[kind],
            "encoder_input_range": list(input_range),
            "encoder_ops": tuple(dict.fromkeys(n.op_type for n in graph.node)),
            "encoder_macs_per_picture": plan.macs,
        },
    ).with_architecture(model)
    return model
