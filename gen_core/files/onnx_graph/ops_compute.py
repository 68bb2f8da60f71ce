"""Builders of the operators that carry weights: dense, convolution, resize and normalization.

Each checks its attributes against the real weight shapes (the weights decide; a disagreeing
attribute is refused naming both) and returns its output shape and multiply-adds per picture.
"""

from __future__ import annotations

import math

import numpy as np
from torch import nn

from gen_core.files.onnx_graph import layers
from gen_core.files.onnx_graph.node import NodeView, Step
from gen_core.files.onnx_graph.values import Activation, broadcast


def gemm(node: NodeView) -> Step:
    x, b = node.activation(0), node.constant(1, "weight B")
    if node.attrs.get("transA", 0) or len(x.shape) != 1 or b.ndim != 2:
        raise node.refuse(
            f"needs an input [B, K] and a 2-D weight, not transA (input {list(x.shape)}, "
            f"weight {list(b.shape)})"
        )
    weight = b if node.attrs.get("transB", 0) else b.T
    if weight.shape[1] != x.shape[0]:
        raise node.refuse(f"its weight {list(b.shape)} does not take an input of {x.shape[0]} features")
    out = weight.shape[0]
    c = node.constant(2, "bias C", required=False)
    if c is not None and broadcast("Gemm bias", c.shape, (1, out)) != (1, out):
        raise node.refuse(f"its bias of shape {list(c.shape)} does not fit {out} outputs")
    alpha, beta = float(node.attrs.get("alpha", 1.0)), float(node.attrs.get("beta", 1.0))

    def make() -> nn.Module:
        layer = nn.Linear(x.shape[0], out, bias=c is not None)
        layer.weight.data = layers.tensor(weight * alpha)
        if c is not None:
            layer.bias.data = layers.tensor(np.broadcast_to(c * beta, (1, out)).reshape(out))
        return layer

    return Step([Activation((out,))], x.shape[0] * out, make)


def matmul(node: NodeView) -> Step:
    x = node.activation(0)
    if isinstance(node.args[1], Activation):
        y = node.args[1]
        if len(x.shape) < 2 or len(y.shape) < 2 or x.shape[-1] != y.shape[-2]:
            raise node.refuse(f"cannot multiply {list(x.shape)} by {list(y.shape)}")
        lead = broadcast("MatMul", x.shape[:-2], y.shape[:-2])
        shape = (*lead, x.shape[-2], y.shape[-1])
        return Step([Activation(shape)], math.prod(shape) * x.shape[-1], lambda: layers.Binary("MatMul"))
    w = node.constant(1, "weight")
    if w.ndim != 2 or w.shape[0] != x.shape[-1]:
        raise node.refuse(f"a weight {list(w.shape)} cannot take an input of shape {list(x.shape)}")
    shape = (*x.shape[:-1], w.shape[1])

    def make() -> nn.Module:
        if len(x.shape) > 1:
            return layers.Binary("MatMul", w)
        layer = nn.Linear(w.shape[0], w.shape[1], bias=False)
        layer.weight.data = layers.tensor(w.T)
        return layer

    return Step([Activation(shape)], math.prod(shape) * w.shape[0], make)


def _window(node: NodeView, spatial: int, kernel: tuple[int, ...]) -> tuple[list[int], list[int], list[int]]:
    """Strides, dilations and the declared pads ``[begin..., end...]``, checked against the weight."""
    declared = node.attrs.get("kernel_shape")
    if declared is not None and list(declared) != list(kernel):
        raise node.refuse(
            f"attribute kernel_shape {declared} disagrees with the weight's kernel {list(kernel)}"
        )
    strides = node.ints_attr("strides", [1] * spatial)
    dilations = node.ints_attr("dilations", [1] * spatial)
    pads = node.ints_attr("pads", [0] * 2 * spatial)
    if len(strides) != spatial or len(dilations) != spatial or len(pads) != 2 * spatial:
        raise node.refuse(
            f"strides {strides}, dilations {dilations} or pads {pads} do not fit {spatial} spatial axes"
        )
    if min(strides + dilations) < 1 or min(pads) < 0 or max(strides + dilations + pads) > 4096:
        raise node.refuse(
            f"strides {strides}, dilations {dilations} and pads {pads} must be "
            "positive (pads non-negative) and at most 4096"
        )
    return strides, dilations, pads


def _same_pads(mode: str, totals: list[int]) -> list[int]:
    """``[begin..., end...]`` splitting each total as auto_pad SAME_UPPER or SAME_LOWER does."""
    small = [t // 2 for t in totals]
    big = [t - s for t, s in zip(totals, small, strict=True)]
    return small + big if mode == "SAME_UPPER" else big + small


def _conv_layer(node: NodeView, x: Activation, w: np.ndarray, bias: np.ndarray | None, out_channels: int,
                strides: list[int], pads: list[int], dilations: list[int],
                output_padding: list[int] | None = None) -> tuple[nn.Module, bool]:
    """The torch (transposed, where ``output_padding`` is given) convolution of ``node`` with its
    weights, and whether ``pads`` (ONNX's begins then ends) are symmetric: torch pads both sides
    alike, so an asymmetric one gets no padding here and the caller pads or crops around it."""
    spatial, transposed = len(x.shape) - 1, output_padding is not None
    symmetric = pads[:spatial] == pads[spatial:]
    kinds = ((nn.Conv1d, nn.Conv2d, nn.Conv3d), (nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d))
    extra = {"output_padding": tuple(output_padding)} if transposed else {}
    layer = kinds[transposed][spatial - 1](
        x.shape[0], out_channels, tuple(w.shape[2:]), stride=tuple(strides),
        padding=tuple(pads[:spatial]) if symmetric else 0, dilation=tuple(dilations),
        groups=node.attrs.get("group", 1), bias=bias is not None, **extra)
    _assign(layer, w, bias)
    return layer, symmetric


def _weights(node: NodeView, x: Activation, transposed: bool) -> tuple[np.ndarray, np.ndarray | None, int]:
    w = node.constant(1, "weight")
    spatial = len(x.shape) - 1
    if not 1 <= spatial <= 3 or w.ndim != spatial + 2:
        raise node.refuse(f"input {list(x.shape)} and weight {list(w.shape)} are not a 1-3 D convolution")
    group = node.attrs.get("group", 1)
    channels = w.shape[0] if transposed else w.shape[1] * group
    if not isinstance(group, int) or group < 1 or channels != x.shape[0] or w.shape[0] % group:
        raise node.refuse(
            f"attribute group={group} and the weight {list(w.shape)} do not fit an input "
            f"of {x.shape[0]} channels"
        )
    out_channels = w.shape[1] * group if transposed else w.shape[0]
    bias = node.constant(2, "bias", required=False)
    if bias is not None and bias.shape != (out_channels,):
        raise node.refuse(f"its bias {list(bias.shape)} does not fit {out_channels} output channels")
    return w, bias, out_channels


def conv(node: NodeView) -> Step:
    x = node.activation(0)
    w, bias, out_channels = _weights(node, x, transposed=False)
    spatial, kernel = len(x.shape) - 1, w.shape[2:]
    strides, dilations, pads = _window(node, spatial, kernel)
    reach = [(k - 1) * d + 1 for k, d in zip(kernel, dilations, strict=True)]
    mode = node.attrs.get("auto_pad", "NOTSET")
    if mode in ("SAME_UPPER", "SAME_LOWER"):
        outs = [-(-n // s) for n, s in zip(x.shape[1:], strides, strict=True)]
        pads = _same_pads(
            mode,
            [
                max((o - 1) * s + r - n, 0)
                for o, s, r, n in zip(outs, strides, reach, x.shape[1:], strict=True)
            ],
        )
    elif mode == "VALID":
        pads = [0] * 2 * spatial
    elif mode != "NOTSET":
        raise node.refuse(f"auto_pad {mode!r} is not an ONNX mode")
    outs = [(n + pads[i] + pads[i + spatial] - reach[i]) // strides[i] + 1 for i, n in enumerate(x.shape[1:])]
    if min(outs) < 1:
        raise node.refuse(f"the kernel {list(kernel)} does not fit the input {list(x.shape)}")

    def make() -> nn.Module:
        layer, symmetric = _conv_layer(node, x, w, bias, out_channels, strides, pads, dilations)
        if symmetric:
            return layer
        torch_pads = [p for i in reversed(range(spatial)) for p in (pads[i], pads[i + spatial])]
        return layers.Pipeline(layers.Pad(torch_pads, "constant", 0.0), layer)

    out = Activation((out_channels, *outs))
    return Step([out], out.size * w[0].size, make)


def conv_transpose(node: NodeView) -> Step:
    x = node.activation(0)
    w, bias, out_channels = _weights(node, x, transposed=True)
    spatial, kernel = len(x.shape) - 1, w.shape[2:]
    strides, dilations, pads = _window(node, spatial, kernel)
    extra = node.ints_attr("output_padding", [0] * spatial)
    if len(extra) != spatial or any(
        not 0 <= e < max(s, d) for e, s, d in zip(extra, strides, dilations, strict=True)
    ):
        raise node.refuse(f"output_padding {extra} must be below the stride or dilation on each axis")
    full = [
        (n - 1) * s + (k - 1) * d + 1 + e
        for n, s, k, d, e in zip(x.shape[1:], strides, kernel, dilations, extra, strict=True)
    ]
    mode, wanted = node.attrs.get("auto_pad", "NOTSET"), node.attrs.get("output_shape")
    if wanted is not None or mode in ("SAME_UPPER", "SAME_LOWER"):
        wanted = wanted[-spatial:] if wanted else [n * s for n, s in zip(x.shape[1:], strides, strict=True)]
        totals = [f - o for f, o in zip(full, wanted, strict=True)]
        if len(wanted) != spatial or min(totals) < 0:
            raise node.refuse(f"output_shape {wanted} cannot be made from the input {list(x.shape)}")
        pads = _same_pads("SAME_UPPER" if mode == "SAME_UPPER" else "SAME_LOWER", totals)
    elif mode == "VALID":
        pads = [0] * 2 * spatial
    elif mode != "NOTSET":
        raise node.refuse(f"auto_pad {mode!r} is not an ONNX mode")
    outs = [f - pads[i] - pads[i + spatial] for i, f in enumerate(full)]
    if min(outs) < 1:
        raise node.refuse(f"pads {pads} leave nothing of the output {full}")

    def make() -> nn.Module:
        layer, symmetric = _conv_layer(node, x, w, bias, out_channels, strides, pads, dilations, extra)
        if symmetric:
            return layer
        crop = (
            slice(None),
            slice(None),
            *(slice(pads[i], full[i] - pads[i + spatial]) for i in range(spatial)),
        )
        return layers.Pipeline(layer, layers.Slice(crop))

    out = Activation((out_channels, *outs))
    return Step([out], x.size * w[0].size, make)


def _assign(layer: nn.Module, weight: np.ndarray, bias: np.ndarray | None) -> None:
    layer.weight.data = layers.tensor(weight)
    if bias is not None:
        layer.bias.data = layers.tensor(bias)
