"""Builders of element-wise operators: activations, arithmetic with tensors or constants, casts."""

from __future__ import annotations

import numpy as np
from torch import nn

from gen_core.files.onnx_graph import layers
from gen_core.files.onnx_graph.node import NodeView, Step
from gen_core.files.onnx_graph.values import Activation, broadcast

FLOAT_TYPES, INT_TYPES = (1, 10, 11, 16), (2, 3, 4, 5, 6, 7, 12, 13)
COMPARISONS = ("Greater", "Less", "GreaterOrEqual", "LessOrEqual", "Equal")
SELU_ALPHA, SELU_GAMMA = 1.67326319217681884765625, 1.05070102214813232421875


def _float_attr(node: NodeView, key: str, default: float) -> float:
    value = node.attrs.get(key, default)
    if not isinstance(value, float) or not np.isfinite(value):
        raise node.refuse(f"attribute {key} must be a finite number")
    return value


def activation(node: NodeView) -> Step:
    """The element-wise functions with one input and attributes at most."""
    op = node.op_type
    if op == "LeakyRelu":
        slope = _float_attr(node, "alpha", 0.01)
        return node.same_shape(lambda: nn.LeakyReLU(slope))
    if op == "Elu":
        alpha = _float_attr(node, "alpha", 1.0)
        return node.same_shape(lambda: nn.ELU(alpha), 2)
    if op == "Selu":
        alpha, gamma = _float_attr(node, "alpha", SELU_ALPHA), _float_attr(node, "gamma", SELU_GAMMA)
        return node.same_shape(lambda: layers.Selu(alpha, gamma), 2)
    if op == "Gelu":
        approximate = node.attrs.get("approximate", "none")
        if approximate not in ("none", "tanh"):
            raise node.refuse(f"approximate={approximate!r} is not 'none' or 'tanh'")
        return node.same_shape(lambda: nn.GELU(approximate), 4)
    plain_layers = {
        "Relu": nn.ReLU,
        "Sigmoid": nn.Sigmoid,
        "Tanh": nn.Tanh,
        "Softplus": nn.Softplus,
        "Identity": nn.Identity,
        "Dropout": nn.Identity,
    }
    if op in plain_layers:
        return node.same_shape(plain_layers[op], 0 if op in ("Identity", "Dropout") else 1)
    return node.same_shape(lambda: layers.Unary(op))


def clip(node: NodeView) -> Step:
    if node.opset < 11:
        low, high = node.attrs.get("min"), node.attrs.get("max")
    else:
        low, high = node.number(1, "min", None), node.number(2, "max", None)
    if low is not None and high is not None and not low <= high:
        raise node.refuse(f"min {low} is above max {high}")
    return node.same_shape(lambda: layers.Clip(low, high))


def prelu(node: NodeView) -> Step:
    x, slope = node.activation(0), node.constant(1, "slope")
    full = (1, *x.shape)
    if broadcast("PRelu", full, slope.shape) != full:
        raise node.refuse(f"its slope {list(slope.shape)} does not fit the input {list(x.shape)}")
    return node.same_shape(lambda: layers.PRelu(slope))


def binary(node: NodeView) -> Step:
    """Add, Sub, Mul, Div, Pow and the comparisons (a boolean mask) between two activations or an
    activation and a constant."""
    if len(node.args) != 2 or any(a is None for a in node.args):
        raise node.refuse("needs two inputs")
    first, second = node.args
    mask = node.op_type in COMPARISONS
    if isinstance(first, Activation) and isinstance(second, Activation):
        shape = broadcast(node.op_type, (1, *first.shape), (1, *second.shape))[1:]
        kind = "bool" if mask else first.kind
        return Step([Activation(shape, kind)], int(np.prod(shape)), lambda: layers.Binary(node.op_type))
    constant_first = not isinstance(first, Activation)
    x = node.activation(1 if constant_first else 0)
    value = node.constant(0 if constant_first else 1, "constant operand")
    if value.ndim > x.rank:
        raise node.refuse(f"its constant {list(value.shape)} has more axes than the input {list(x.shape)}")
    full = broadcast(node.op_type, (1, *x.shape), value.shape)
    if full[0] != 1:
        raise node.refuse(f"its constant {list(value.shape)} would repeat the batch")
    out = Activation(full[1:], "bool" if mask else x.kind)
    return Step([out], out.size, lambda: layers.Binary(node.op_type, value, constant_first))


def where(node: NodeView) -> Step:
    """Where(condition, x, y): any of the three may be a constant, at least one is computed."""
    if len(node.args) != 3 or any(a is None for a in node.args):
        raise node.refuse("needs three inputs")
    shapes, constants = [], []
    for index, arg in enumerate(node.args):
        if isinstance(arg, Activation):
            shapes.append((1, *arg.shape))
            constants.append(None)
        else:
            value = node.constant(index, "condition" if index == 0 else "value")
            shapes.append(value.shape)
            constants.append(value)
    full = broadcast("Where", *shapes)
    if full[0] != 1:
        raise node.refuse(f"its constants {[list(s) for s in shapes]} would repeat the batch")
    out = Activation(tuple(full[1:]))
    return Step([out], out.size, lambda: layers.Where(constants))


def cast(node: NodeView) -> Step:
    x, to = node.activation(0), node.attrs.get("to")
    if to not in FLOAT_TYPES + INT_TYPES:
        raise node.refuse(f"cast to data type {to} is not supported")
    to_float = to in FLOAT_TYPES
    if to_float == (x.kind == "float"):
        return Step([x], 0, nn.Identity)
    return Step([Activation(x.shape, "float" if to_float else "int")], x.size, lambda: layers.Cast(to_float))
