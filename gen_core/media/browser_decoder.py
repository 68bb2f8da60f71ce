"""A decoder in a portable form the browser runs: a list of layers and their float32 weights.

Why this format beside ONNX (``gen_core.media.onnx_decoder``): a small decoder that is a chain of
seven layer kinds runs at thousands of pictures a second in a 200-line JavaScript runtime
(``ui/components/decoder_runtime.js``), with no 15 MB WebAssembly runtime to load first;
``ui/decode_path`` picks the engine. Batch norm is folded into the layer before it, so the
browser does no work for it.

The file: a 4-byte little-endian header length, a UTF-8 JSON header, zero padding to a multiple
of 4 bytes, then the weights as little-endian float32. The header::

    {"format": "latent-atlas-decoder", "version": 1, "latent_dim": D, "image_shape": [C, H, W],
     "layers": [{"op": ..., "shape": [...output shape...], <op fields>}, ...]}

Ops and their fields (tensors are ``[offset, length]`` in float32 elements of the weight block):
``linear`` (``in``, ``out``, ``weight`` ``[out, in]``, ``bias``), ``conv_transpose2d`` (``in``,
``out``, ``kernel``, ``stride``, ``padding``, ``weight`` ``[in, out, k, k]``, ``bias``),
``channel_affine`` (``scale``, ``shift``: one per channel), ``relu``, ``leaky_relu``
(``slope``), ``tanh``, ``sigmoid``, ``scale_shift`` (``scale``, ``shift``: scalars),
``reshape``, ``one_hot_column`` (``column``, ``classes``).
"""

from __future__ import annotations

import json
import math
import struct

import numpy as np
import torch
from torch import nn

from gen_core.models import GenerativeModel
from gen_core.models.base import OneHotColumn, ScaleShift

FORMAT, VERSION = "latent-atlas-decoder", 1
ACTIVATIONS = {nn.ReLU: "relu", nn.Tanh: "tanh", nn.Sigmoid: "sigmoid"}


class ExportError(Exception):
    """The decoder holds a layer the browser runtime cannot run; the message names it."""


class _Writer:
    """Collects ops and their weights while tracking the activation's shape."""

    def __init__(self, latent_dim: int) -> None:
        self.ops: list[dict] = []
        self.blocks: list[np.ndarray] = []
        self.size = 0
        self.shape: list[int] = [latent_dim]
        # Weights of linear and convolution ops by op id, written last so batch norm can fold in.
        self.pending: dict[int, tuple[torch.Tensor, torch.Tensor]] = {}

    def tensor(self, value: torch.Tensor) -> list[int]:
        flat = value.detach().to(torch.float32).cpu().contiguous().numpy().ravel()
        self.blocks.append(flat)
        self.size += flat.size
        return [self.size - flat.size, flat.size]

    def add(self, op: str, shape: list[int] | None = None, **fields) -> None:
        self.shape = list(shape) if shape is not None else self.shape
        self.ops.append({"op": op, "shape": self.shape, **fields})


def _fold_affine(writer: _Writer, scale: torch.Tensor, shift: torch.Tensor) -> None:
    """Fold a per-channel ``x * scale + shift`` into the linear or transposed convolution before it
    (through a reshape), or emit it as a ``channel_affine`` op."""
    target = next((op for op in reversed(writer.ops) if op["op"] != "reshape"), None)
    if target is not None and id(target) in writer.pending:
        weight, bias = writer.pending[id(target)]
        channels = scale.numel()
        if target["op"] == "linear":  # out features are channel-major: C blocks of H*W
            per = weight.shape[0] // channels
            weight.mul_(scale.repeat_interleave(per)[:, None])
            bias.mul_(scale.repeat_interleave(per)).add_(shift.repeat_interleave(per))
        else:  # weight [in, out, k, k]
            weight.mul_(scale[None, :, None, None])
            bias.mul_(scale).add_(shift)
        return
    writer.add("channel_affine", scale=writer.tensor(scale), shift=writer.tensor(shift))


def _batch_norm_affine(layer: nn.modules.batchnorm._BatchNorm) -> tuple[torch.Tensor, torch.Tensor]:
    """Eval-mode batch norm as ``x * scale + shift`` per channel."""
    scale = layer.weight.detach() / torch.sqrt(layer.running_var + layer.eps)
    return scale, layer.bias.detach() - layer.running_mean * scale


def _layer(writer: _Writer, layer: nn.Module) -> None:
    shape = writer.shape
    if isinstance(layer, nn.Sequential):
        for inner in layer:
            _layer(writer, inner)
    elif isinstance(layer, nn.Linear):
        weight = layer.weight.detach().clone()
        bias = layer.bias.detach().clone() if layer.bias is not None else torch.zeros(layer.out_features)
        writer.add("linear", [layer.out_features], **{"in": layer.in_features, "out": layer.out_features})
        writer.pending[id(writer.ops[-1])] = (weight, bias)
    elif isinstance(layer, nn.ConvTranspose2d):
        square = all(len(set(pair)) == 1 for pair in (layer.kernel_size, layer.stride, layer.padding))
        if layer.groups != 1 or layer.dilation != (1, 1) or layer.output_padding != (0, 0) or not square:
            raise ExportError(f"{layer}: only square, ungrouped, undilated transposed convolutions run "
                              "in the browser")
        k, s, p = layer.kernel_size[0], layer.stride[0], layer.padding[0]
        out_hw = [(n - 1) * s - 2 * p + k for n in shape[1:]]
        weight = layer.weight.detach().clone()
        bias = layer.bias.detach().clone() if layer.bias is not None else torch.zeros(layer.out_channels)
        writer.add("conv_transpose2d", [layer.out_channels, *out_hw], kernel=k, stride=s, padding=p,
                   **{"in": layer.in_channels, "out": layer.out_channels})
        writer.pending[id(writer.ops[-1])] = (weight, bias)
    elif isinstance(layer, (nn.BatchNorm1d, nn.BatchNorm2d)):
        _fold_affine(writer, *_batch_norm_affine(layer))
    elif isinstance(layer, nn.Flatten):
        writer.add("reshape", [math.prod(shape)])
    elif isinstance(layer, nn.Unflatten):
        writer.add("reshape", [*shape[:layer.dim - 1], *layer.unflattened_size])
    elif isinstance(layer, nn.LeakyReLU):
        writer.add("leaky_relu", slope=layer.negative_slope)
    elif type(layer) in ACTIVATIONS:
        writer.add(ACTIVATIONS[type(layer)])
    elif isinstance(layer, ScaleShift):
        writer.add("scale_shift", scale=layer.scale, shift=layer.shift)
    elif isinstance(layer, OneHotColumn):
        writer.add("one_hot_column", [shape[0] - 1 + layer.classes], column=layer.column,
                   classes=layer.classes)
    else:  # a layer may say why it cannot run here (a graph that is not a chain of these layers)
        raise ExportError(getattr(layer, "export_refusal", None)
                          or f"the browser runtime has no {type(layer).__name__} layer")


def export_decoder(model: GenerativeModel) -> bytes:
    """The decoder of ``model`` (its ``decoder_layers``) as the portable file described above.

    Raises ``ExportError`` naming the first layer the browser cannot run.
    """
    writer = _Writer(model.latent_dim)
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            for layer in model.decoder_layers():
                _layer(writer, layer)
    finally:
        model.train(was_training)
    for op in writer.ops:  # weights and biases, final after folding, in op order
        if id(op) in writer.pending:
            weight, bias = writer.pending[id(op)]
            op["weight"], op["bias"] = writer.tensor(weight), writer.tensor(bias)
    if writer.shape != list(model.image_shape):
        raise ExportError(f"the layers end in shape {writer.shape}, "
                          f"not the image shape {list(model.image_shape)}")
    header = json.dumps({"format": FORMAT, "version": VERSION, "latent_dim": model.latent_dim,
                         "image_shape": list(model.image_shape), "layers": writer.ops}).encode()
    header += b" " * (-(len(header) + 4) % 4)
    weights = np.concatenate(writer.blocks).astype("<f4") if writer.blocks else np.zeros(0, "<f4")
    return struct.pack("<I", len(header)) + header + weights.tobytes()


def multiply_adds(data: bytes) -> int:
    """Multiply-adds per picture of an exported decoder ``data`` (its linear and transposed
    convolution layers; the rest is elementwise and cheap)."""
    header_length = struct.unpack("<I", data[:4])[0]
    header = json.loads(data[4:4 + header_length])
    total, shape = 0, [header["latent_dim"]]
    for op in header["layers"]:
        if op["op"] == "linear":
            total += op["in"] * op["out"]
        elif op["op"] == "conv_transpose2d":  # every input pixel meets every kernel tap
            total += op["in"] * op["out"] * op["kernel"] ** 2 * shape[1] * shape[2]
        shape = op["shape"]
    return total
