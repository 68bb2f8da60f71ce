"""What decoding one picture costs, known before a single weight is read or allocated.

A model file declares its own sizes, and a hostile one declares sizes that exhaust the server (a
4,096 × 4,096 generator, a layer that multiplies a billion times per picture). The cost is
computed from the real architecture: built on PyTorch's ``meta`` device, where tensors have
shapes and no memory, and run once on a meta latent with a hook on every layer. Every cap is
named in its refusal, and ``docs/security.md`` lists them.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import torch
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
    """Per picture: ``parameters`` of the whole model, the largest layer output in elements
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


def decode_cost(decode: nn.Module, latent_dim: int, run=None) -> DecodeCost:
    """The cost of ``run(z)`` (default ``decode(z)``) for one latent ``[1, latent_dim]``, with
    ``decode`` built on the meta device."""
    peak, multiply_adds = 0, 0

    def measure(layer: nn.Module, inputs: tuple, output) -> None:
        nonlocal peak, multiply_adds
        if not isinstance(output, torch.Tensor):
            return
        peak = max(peak, output.numel())
        if isinstance(layer, nn.Linear):
            multiply_adds += output.numel() * layer.in_features
        elif isinstance(layer, nn.Conv2d):  # each output value: in/groups channels × the kernel
            per_output = layer.in_channels // layer.groups * math.prod(layer.kernel_size)
            multiply_adds += output.numel() * per_output
        elif isinstance(layer, nn.ConvTranspose2d):  # each input value: out/groups channels × the kernel
            per_input = layer.out_channels // layer.groups * math.prod(layer.kernel_size)
            multiply_adds += inputs[0].numel() * per_input

    leaves = [m for m in decode.modules() if not list(m.children())]
    hooks = [m.register_forward_hook(measure) for m in leaves]
    try:
        with torch.no_grad():
            (run or decode)(torch.zeros(1, latent_dim, device="meta"))
    finally:
        for hook in hooks:
            hook.remove()
    return DecodeCost(sum(p.numel() for p in decode.parameters()), peak, multiply_adds)


def check_decode_cost(where: Path, cost: DecodeCost) -> None:
    """``CheckpointError`` naming the first cap ``cost`` exceeds."""
    for amount, cap, what in ((cost.parameters, MAX_PARAMETERS, "parameters"),
                              (cost.peak_activation, MAX_ACTIVATION_ELEMENTS, "values in one layer's output"),
                              (cost.multiply_adds, MAX_MULTIPLY_ADDS, "multiply-adds")):
        if amount > cap:
            raise CheckpointError(where, f"decoding one picture needs {amount:,} {what}; the cap is {cap:,}")
