"""The rebuilt graph as a ``GenerativeModel``: latent columns in, pictures in [0, 1] out.

``z`` holds the latent's D columns and, for a conditional generator, one more: the class index
(a categorical latent, as InfoGAN's code). The output's range comes from the file's
``latent_atlas.output_range`` property, else from the graph (a final Tanh is [-1, 1], Sigmoid
[0, 1], Clip its bounds), else from sampling; the card says which in ``output_range_source``.
"""

from __future__ import annotations

import dataclasses
import json
import math

import torch
import torch.nn.functional as F
from torch import nn

from gen_core.files.onnx_graph.inputs import GraphInputs
from gen_core.files.onnx_graph.limits import MAX_IMAGE_SIDE, MAX_OUTPUT_CHANNELS, SAMPLED_RANGE_MACS
from gen_core.files.onnx_graph.module import OnnxGraph
from gen_core.files.onnx_graph.planner import Plan
from gen_core.files.onnx_graph.reader import GraphError
from gen_core.files.onnx_graph.values import Activation
from gen_core.models import GenerativeModel, LatentDim
from gen_core.models.base import ScaleShift

PASS_THROUGH = ("Reshape", "Flatten", "Transpose", "Squeeze", "Unsqueeze", "Identity", "Dropout", "Slice")
RANGE_SEED, RANGE_SAMPLES = 0, 64
KNOWN_RANGES = ((0.0, 1.0), (-1.0, 1.0), (0.0, 255.0))


@dataclasses.dataclass(frozen=True)
class OnnxDecoderConfig:
    latent_dim: int
    image_shape: tuple[int, int, int]
    arch: str = "onnx"


@dataclasses.dataclass(frozen=True)
class OutputLayout:
    """How the graph's output ``[B, *shape]`` becomes ``[B, C, H, W]``: ``nchw``, ``nhwc``, ``hw``
    (one channel) or ``flat`` (a square picture's pixels)."""

    kind: str
    image_shape: tuple[int, int, int]


def output_layout(value: Activation) -> OutputLayout:
    shape = value.shape
    if len(shape) == 3 and shape[0] <= MAX_OUTPUT_CHANNELS and shape[0] in (1, 3):
        layout = OutputLayout("nchw", shape)
    elif len(shape) == 3 and shape[-1] in (1, 3):
        layout = OutputLayout("nhwc", (shape[2], shape[0], shape[1]))
    elif len(shape) == 2:
        layout = OutputLayout("hw", (1, *shape))
    elif len(shape) == 1 and any(math.isqrt(shape[0] // c) ** 2 * c == shape[0] for c in (1, 3)):
        channels = next(c for c in (1, 3) if math.isqrt(shape[0] // c) ** 2 * c == shape[0])
        side = math.isqrt(shape[0] // channels)
        layout = OutputLayout("flat", (channels, side, side))
    elif len(shape) == 3 and min(shape[0], shape[-1]) > MAX_OUTPUT_CHANNELS:
        raise GraphError(
            f"the output {list(shape)} has {min(shape[0], shape[-1])} channels, over the cap "
            f"of {MAX_OUTPUT_CHANNELS} (a picture has 1 or 3)"
        )
    else:
        raise GraphError(
            f"the output of shape {list(shape)} is not an image ([1 or 3, H, W], [H, W, 1 or 3], "
            "[H, W] or a square picture's flat pixels)"
        )
    if max(layout.image_shape[1:]) > MAX_IMAGE_SIDE:
        raise GraphError(
            f"the output picture {list(layout.image_shape)} is over the cap of {MAX_IMAGE_SIDE} pixels a side"
        )
    return layout


def graph_output_range(plan: Plan, output: str) -> tuple[tuple[float, float], str] | None:
    """The range a final Tanh, Sigmoid or bounded Clip gives (through layout-only operators)."""
    makers = {name: node for node in plan.nodes for name in node.outputs}
    node = makers.get(output)
    while node is not None and node.op_type in PASS_THROUGH and node.inputs:
        node = makers.get(node.inputs[0])
    if node is None:
        return None
    if node.op_type == "Tanh":
        return (-1.0, 1.0), "graph: Tanh"
    if node.op_type == "Sigmoid":
        return (0.0, 1.0), "graph: Sigmoid"
    layer = node.step.make() if node.op_type == "Clip" else None
    if layer is not None and layer.low is not None and layer.high is not None and layer.low < layer.high:
        return (layer.low, layer.high), "graph: Clip"
    return None


class NotInBrowser(nn.Module):
    """Stands for a decoder the page's compact runtime cannot run (``export_refusal`` says why);
    the page runs it in ONNX Runtime Web instead (``gen_core.media.onnx_decoder``)."""

    def __init__(self, reason: str) -> None:
        super().__init__()
        self.export_refusal = reason

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        raise RuntimeError(self.export_refusal)


class OnnxDecoder(GenerativeModel):
    """A decoder rebuilt from an ONNX graph (``graph``), wrapped to take ``z`` ``[B, D]`` (plus a
    class column for a conditional one) and give pictures ``[B, C, H, W]`` in [0, 1]."""

    family = "onnx"
    kind_name = "ONNX decoder"
    config_class = OnnxDecoderConfig

    def __init__(
        self,
        config: OnnxDecoderConfig,
        graph: OnnxGraph,
        spec: list[LatentDim],
        inputs: GraphInputs,
        layout: OutputLayout,
    ) -> None:
        super().__init__(config)
        self.graph, self._spec, self.inputs, self.layout = graph, spec, inputs, layout
        self.output_range = (0.0, 1.0)

    @property
    def latent_spec(self) -> list[LatentDim]:
        return self._spec

    def graph_inputs(self, z: torch.Tensor) -> list[torch.Tensor]:
        """``z`` ``[B, D (+1)]`` as the graph's inputs, in the graph's order."""
        batch, size = z.shape[0], self.inputs.latent_shape[0]
        given = {self.inputs.latent: z[:, :size].reshape(batch, *self.inputs.latent_shape)}
        label = self.inputs.label
        if label is not None:
            index = z[:, size].round().long().clamp(0, len(self._spec[-1].classes) - 1)
            given[label.name] = (
                F.one_hot(index, label.classes).to(z.dtype)
                if label.one_hot
                else index.reshape(batch, *label.shape)
            )
        return [given[name] for name in self.graph.inputs]

    def raw_images(self, z: torch.Tensor) -> torch.Tensor:
        """The graph's output as ``[B, C, H, W]``, in its own range."""
        y = self.graph(*self.graph_inputs(z))
        if self.layout.kind == "nhwc":
            y = y.permute(0, 3, 1, 2)
        return y.reshape(y.shape[0], *self.image_shape)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Latents ``[B, D]`` to images ``[B, C, H, W]`` in [0, 1]."""
        low, high = self.output_range
        return ((self.raw_images(z) - low) / (high - low)).clamp(0, 1)

    def decoder_layers(self) -> list[nn.Module]:
        """The chain of compact-runtime layers where the graph is one, else ``[NotInBrowser(reason)]``."""
        chain, reason = self.graph.chain()
        if not chain or self.layout.kind == "nhwc":
            return [NotInBrowser(reason or "the picture's channels come last (NHWC)")]
        low, high = self.output_range
        head = [nn.Unflatten(1, self.inputs.latent_shape)] if len(self.inputs.latent_shape) > 1 else []
        tail = [nn.Flatten(), nn.Unflatten(1, self.image_shape)] if self.layout.kind in ("flat", "hw") else []
        scale = [ScaleShift(1.0 / (high - low), -low / (high - low))] if (low, high) != (0.0, 1.0) else []
        return [*head, *chain, *tail, *scale]


def property_range(properties: dict[str, str], key: str) -> tuple[float, float] | None:
    text = properties.get(key)
    if text is None:
        return None
    try:
        low, high = (float(v) for v in json.loads(text))
    except (TypeError, ValueError) as err:
        raise GraphError(f"{key} is invalid ({str(err)[:80]})") from None
    if not (math.isfinite(low) and math.isfinite(high) and low < high):
        raise GraphError(f"{key} {text[:40]!r} is not an interval [low, high]")
    return low, high


@torch.no_grad()
def sampled_range(model: OnnxDecoder, macs: int) -> tuple[tuple[float, float], str]:
    """The range of a graph without a bounding last operator, from outputs of seeded latents:
    the known range they fit ([0, 1], [-1, 1], [0, 255]), else their own extremes."""
    count = max(4, min(RANGE_SAMPLES, SAMPLED_RANGE_MACS // max(macs, 1)))
    z = model.sample_latent(count, torch.Generator().manual_seed(RANGE_SEED))
    values = torch.cat([model.raw_images(part) for part in z.split(8)])
    if not torch.isfinite(values).all():
        raise GraphError("decoding seeded latents gives non-finite values (NaN or inf)")
    low, high = values.min().item(), values.max().item()
    source = f"sampled: {count} outputs (seed {RANGE_SEED}) lay in [{low:.3g}, {high:.3g}]"
    for known_low, known_high in KNOWN_RANGES:
        margin = 0.05 * (known_high - known_low)
        if known_low - margin <= low and high <= known_high + margin:
            return (known_low, known_high), source
    return (low, high) if low < high else (low - 0.5, high + 0.5), source
