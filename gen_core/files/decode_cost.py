"""What decoding one picture costs, known before a single weight is read or allocated.

A model file declares its own sizes, and a hostile one declares sizes that exhaust the server (a
4,096 × 4,096 generator, a layer that multiplies a billion times per picture). The cost is
computed from the real architecture, built on PyTorch's ``meta`` device (shapes, no memory), by
following the shape through its decoder's layers. Every cap is named in its refusal, and
``docs/security.md`` lists them.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

from torch import nn

from gen_core.files.errors import CheckpointError

MAX_IMAGE_SIDE = 512  # pixels, height and width of the picture a model draws
MAX_IMAGE_CHANNELS = 4
MAX_LATENT_DIM = 4096
MAX_ACTIVATION_ELEMENTS = 2**22  # per picture, at the output of any layer (16 MiB of float32)
MAX_MULTIPLY_ADDS = 2_000_000_000  # per picture: about 0.5 s of one CPU thread here
MAX_PARAMETERS = 60_000_000  # 240 MiB of float32, above the 200 MiB file cap


@dataclasses.dataclass(frozen=True)
class DecodeCost:
    """Per picture: ``parameters`` of the decoder, the largest layer output in elements
    (``peak_activation``) and the multiply-adds of its linear and convolution layers."""

    parameters: int
    peak_activation: int
    multiply_adds: int


def image_caps_problem(image_shape: tuple[int, ...], latent_dim: int) -> str | None:
    """Why a picture of ``image_shape`` ``[C, H, W]`` from ``latent_dim`` latents is refused, or
    ``None``: checked on the declared sizes, before anything is built."""
    channels, height, width = image_shape
    if not 1 <= channels <= MAX_IMAGE_CHANNELS:
        return f"pictures of {channels} channels (the cap is {MAX_IMAGE_CHANNELS})"
    if max(height, width) > MAX_IMAGE_SIDE:
        return f"pictures of {height} × {width} pixels (the cap is {MAX_IMAGE_SIDE} a side)"
    if latent_dim > MAX_LATENT_DIM:
        return f"a latent of {latent_dim} dimensions (the cap is {MAX_LATENT_DIM})"
    return None


def decode_cost(layers: list[nn.Module], latent_dim: int) -> DecodeCost:
    """The cost of applying ``layers`` (a model's ``decoder_layers()``) to one latent
    ``[latent_dim]``, by shape arithmetic alone: nothing runs, so nothing is allocated (a forward
    pass on the meta device would import torch's compiler stack on first use). Layers that keep
    the shape (activations, normalization, scaling) cost nothing here."""
    shape, peak, multiply_adds = [latent_dim], latent_dim, 0
    for layer in _leaves(layers):
        if isinstance(layer, nn.Linear):
            multiply_adds += layer.in_features * layer.out_features
            shape = [*shape[:-1], layer.out_features]
        elif isinstance(layer, nn.Conv2d):
            shape = [layer.out_channels, *(
                (n + 2 * p - d * (k - 1) - 1) // s + 1
                for n, k, s, p, d in zip(shape[1:], layer.kernel_size, layer.stride, layer.padding,
                                         layer.dilation, strict=True))]
            multiply_adds += math.prod(shape) * _per_value(layer, layer.in_channels)
        elif isinstance(layer, nn.ConvTranspose2d):
            multiply_adds += math.prod(shape) * _per_value(layer, layer.out_channels)
            shape = [layer.out_channels, *(
                (n - 1) * s - 2 * p + d * (k - 1) + o + 1
                for n, k, s, p, d, o in zip(shape[1:], layer.kernel_size, layer.stride, layer.padding,
                                            layer.dilation, layer.output_padding, strict=True))]
        elif isinstance(layer, nn.Flatten):
            shape = [math.prod(shape)]
        elif isinstance(layer, nn.Unflatten):
            shape = [*shape[:layer.dim - 1], *layer.unflattened_size]
        elif isinstance(layer, nn.Upsample) and layer.scale_factor is not None:
            factor = layer.scale_factor
            scales = factor if isinstance(factor, tuple) else (factor, factor)
            shape = [shape[0], *(int(n * f) for n, f in zip(shape[1:], scales, strict=True))]
        elif hasattr(layer, "classes") and hasattr(layer, "column"):  # a one-hot column: D - 1 + K
            shape = [shape[0] - 1 + layer.classes]
        peak = max(peak, math.prod(shape))
    return DecodeCost(sum(p.numel() for layer in layers for p in layer.parameters()), peak, multiply_adds)


def _per_value(layer: nn.Conv2d | nn.ConvTranspose2d, channels: int) -> int:
    """Multiply-adds per output (convolution) or input (transposed) value: a kernel per channel."""
    return channels // layer.groups * math.prod(layer.kernel_size)


def _leaves(layers: list[nn.Module]) -> list[nn.Module]:
    return [m for layer in layers for m in layer.modules() if not list(m.children())]


def check_decode_cost(where: Path, cost: DecodeCost) -> None:
    """``CheckpointError`` naming the first cap ``cost`` exceeds."""
    for amount, cap, what in ((cost.parameters, MAX_PARAMETERS, "parameters"),
                              (cost.peak_activation, MAX_ACTIVATION_ELEMENTS, "values in one layer's output"),
                              (cost.multiply_adds, MAX_MULTIPLY_ADDS, "multiply-adds")):
        if amount > cap:
            raise CheckpointError(where, f"decoding one picture needs {amount:,} {what}; the cap is {cap:,}")
