"""Builders of the normalizations: batch (running statistics), instance, group and layer."""

from __future__ import annotations

import numpy as np
from torch import nn

from gen_core.files.onnx_graph import layers
from gen_core.files.onnx_graph.node import NodeView, Step
from gen_core.files.onnx_graph.values import per_sample_axis


def _per_channel(node: NodeView, index: int, what: str, channels: int) -> np.ndarray:
    value = node.constant(index, what)
    if value.size != channels:
        raise node.refuse(f"its {what} has {value.size} values for {channels} channels")
    return value.reshape(channels)


def _epsilon(node: NodeView) -> float:
    eps = float(node.attrs.get("epsilon", 1e-5))
    if not 0 <= eps < 1:
        raise node.refuse(f"epsilon {eps} must be in [0, 1)")
    return eps


def batch_norm(node: NodeView) -> Step:
    x = node.activation(0)
    if node.attrs.get("training_mode", 0) or not 1 <= len(x.shape) <= 4:
        raise node.refuse(
            f"only inference on inputs [B, C, ...] of rank 2-5 is supported (input {list(x.shape)})"
        )
    channels = x.shape[0]
    scale, bias, mean, var = (
        _per_channel(node, i, what, channels)
        for i, what in enumerate(("scale", "bias", "mean", "variance"), start=1)
    )
    if (var < 0).any():
        raise node.refuse("its variance has negative values")
    eps = _epsilon(node)

    def make() -> nn.Module:
        kind = (nn.BatchNorm1d, nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d)[len(x.shape) - 1]
        layer = kind(channels, eps=eps)
        for target, value in zip(
            (layer.weight, layer.bias, layer.running_mean, layer.running_var),
            (scale, bias, mean, var),
            strict=True,
        ):
            target.data = layers.tensor(value)
        return layer.eval()

    return node.same_shape(make, 2)


def instance_norm(node: NodeView) -> Step:
    x = node.activation(0)
    if len(x.shape) < 2:
        raise node.refuse(f"needs an input [B, C, ...] with at least one spatial axis, not {list(x.shape)}")
    scale, bias = (_per_channel(node, i, what, x.shape[0]) for i, what in ((1, "scale"), (2, "bias")))
    eps = _epsilon(node)
    return node.same_shape(lambda: layers.Normalize("instance", eps, scale, bias), 4)


def group_norm(node: NodeView) -> Step:
    x = node.activation(0)
    groups, channels = node.attrs.get("num_groups"), x.shape[0] if x.shape else 0
    if not isinstance(groups, int) or groups < 1 or len(x.shape) < 1 or channels % groups:
        raise node.refuse(f"num_groups={groups} does not divide the {channels} channels of {list(x.shape)}")
    scale, bias = node.constant(1, "scale"), node.constant(2, "bias")
    if scale.size == groups != channels:  # opset 18: one scale per group
        scale, bias = (np.repeat(v.reshape(-1), channels // groups) for v in (scale, bias))
    scale, bias = (v.reshape(-1) for v in (scale, bias))
    if scale.size != channels or bias.size != channels:
        raise node.refuse(
            f"its scale and bias ({scale.size}, {bias.size} values) fit neither "
            f"{groups} groups nor {channels} channels"
        )
    eps = _epsilon(node)
    return node.same_shape(lambda: layers.Normalize("group", eps, scale, bias, groups=groups), 4)


def layer_norm(node: NodeView) -> Step:
    x = node.activation(0)
    axis = per_sample_axis(node.attrs.get("axis", -1), x, "LayerNormalization")
    normalized = x.shape[axis:]
    scale = node.constant(1, "scale")
    bias = node.constant(2, "bias", required=False)
    bias = np.zeros_like(scale) if bias is None else bias
    try:
        scale, bias = (np.broadcast_to(v, normalized).copy() for v in (scale, bias))
    except ValueError:
        raise node.refuse(
            f"its scale {list(scale.shape)} or bias does not fit the normalized axes {list(normalized)}"
        ) from None
    eps = _epsilon(node)
    return node.same_shape(lambda: layers.Normalize("layer", eps, scale, bias, normalized=normalized), 4)
