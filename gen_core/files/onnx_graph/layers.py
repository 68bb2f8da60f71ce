"""The torch layers a rebuilt graph is made of, besides ``torch.nn``'s own: each takes the
activations ``[B, ...]`` of one ONNX node and holds that node's constants as buffers."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


def tensor(values: np.ndarray) -> torch.Tensor:
    """A float32 copy: the parsed arrays are read-only views of the file's bytes."""
    return torch.tensor(np.asarray(values, dtype=np.float32))


BINARY = {
    "Add": torch.add,
    "Sub": torch.sub,
    "Mul": torch.mul,
    "Div": torch.div,
    "Pow": torch.pow,
    "MatMul": torch.matmul,
    # Comparisons give a boolean mask, which only Where reads (torch's export of Softplus' threshold).
    "Greater": torch.gt,
    "Less": torch.lt,
    "GreaterOrEqual": torch.ge,
    "LessOrEqual": torch.le,
    "Equal": torch.eq,
}
UNARY = {
    "Sqrt": torch.sqrt,
    "Neg": torch.neg,
    "Erf": torch.erf,
    "Exp": torch.exp,
    "Abs": torch.abs,
    "Tanh": torch.tanh,
    "Sigmoid": torch.sigmoid,
    "Relu": torch.relu,
}


class Binary(nn.Module):
    """``x op y`` of two activations, or of an activation and a constant (on either side)."""

    def __init__(self, op: str, constant: np.ndarray | None = None, constant_first: bool = False) -> None:
        super().__init__()
        self.op, self.constant_first = op, constant_first
        self.register_buffer("constant", None if constant is None else tensor(constant))

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        if self.constant is None:
            return BINARY[self.op](x, y)
        pair = (self.constant, x) if self.constant_first else (x, self.constant)
        return BINARY[self.op](*pair)


class Where(nn.Module):
    """``condition ? x : y`` element-wise, each of the three an activation or a constant: the
    activations come in as arguments, in the node's input order; the constants are held here."""

    def __init__(self, constants: list[np.ndarray | None]) -> None:
        super().__init__()
        self.computed = [value is None for value in constants]
        for index, value in enumerate(constants):
            self.register_buffer(f"constant{index}", None if value is None else tensor(value))

    def forward(self, *activations: torch.Tensor) -> torch.Tensor:
        given = iter(activations)
        condition, x, y = (next(given) if computed else getattr(self, f"constant{index}")
                           for index, computed in enumerate(self.computed))
        return torch.where(condition.bool(), x, y)


class Unary(nn.Module):
    """An element-wise function without parameters that ``torch.nn`` has no layer for."""

    def __init__(self, op: str) -> None:
        super().__init__()
        self.op = op

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return UNARY[self.op](x)


class Selu(nn.Module):
    def __init__(self, alpha: float, gamma: float) -> None:
        super().__init__()
        self.alpha, self.gamma = alpha, gamma

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # exp(x) - 1, not expm1: torch's ONNX exporter has no expm1, and the page runs this exported
        return self.gamma * torch.where(x > 0, x, self.alpha * (torch.exp(x) - 1))


class Clip(nn.Module):
    def __init__(self, low: float | None, high: float | None) -> None:
        super().__init__()
        self.low, self.high = low, high

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.clamp(x, self.low, self.high)


class PRelu(nn.Module):
    """``x`` where positive, else ``slope * x``; ``slope`` broadcasts against ``[B, ...]``."""

    def __init__(self, slope: np.ndarray) -> None:
        super().__init__()
        self.slope = nn.Parameter(tensor(slope))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.where(x >= 0, x, self.slope * x)


class Reshape(nn.Module):
    """``[B, ...]`` -> ``[B, *shape]``."""

    def __init__(self, shape: tuple[int, ...]) -> None:
        super().__init__()
        self.shape = tuple(shape)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.reshape(x.shape[0], *self.shape)


class Expand(nn.Module):
    """``[B, ...]`` broadcast to ``[B, *shape]`` (a view: nothing is copied)."""

    def __init__(self, shape: tuple[int, ...]) -> None:
        super().__init__()
        self.shape = tuple(shape)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.reshape(x.shape[0], *[1] * (len(self.shape) + 1 - x.dim()), *x.shape[1:]).expand(
            x.shape[0], *self.shape)


class Transpose(nn.Module):
    def __init__(self, perm: list[int]) -> None:
        super().__init__()
        self.perm = tuple(perm)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.permute(self.perm)


class Concat(nn.Module):
    """Activations and constants joined along ``axis``; ``parts`` holds a constant ``[1, ...]`` (repeated
    over the batch) or ``None`` (the next activation) for each input in order."""

    def __init__(self, axis: int, parts: list[np.ndarray | None]) -> None:
        super().__init__()
        self.axis, self.is_constant = axis, [p is not None for p in parts]
        self.constants = nn.ParameterList(
            [nn.Parameter(tensor(p), requires_grad=False) for p in parts if p is not None]
        )

    def forward(self, *xs: torch.Tensor) -> torch.Tensor:
        activations, constants, batch = iter(xs), iter(self.constants), xs[0].shape[0]
        parts = [
            next(constants).expand(batch, *[-1] * (xs[0].dim() - 1)) if constant else next(activations)
            for constant in self.is_constant
        ]
        return torch.cat(parts, dim=self.axis)


class Slice(nn.Module):
    def __init__(self, index: tuple[slice, ...]) -> None:
        super().__init__()
        self.index = index

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x[self.index]


class Pad(nn.Module):
    """``F.pad`` with the pads given last axis first, as torch wants them."""

    def __init__(self, pads: list[int], mode: str, value: float) -> None:
        super().__init__()
        self.pads, self.mode, self.value = pads, mode, value

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.mode == "constant":
            return F.pad(x, self.pads, value=self.value)
        return F.pad(x, self.pads, mode=self.mode)


class Resample(nn.Module):
    """Resize as one interpolation matrix per resized axis (``[out, in]``, nearest or linear
    weights): every coordinate convention ONNX names is exact, and gradients flow."""

    def __init__(self, matrices: dict[int, np.ndarray]) -> None:
        super().__init__()
        self.axes = list(matrices)
        for axis, matrix in matrices.items():
            self.register_buffer(f"matrix_{axis}", tensor(matrix))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        last = x.dim() - 1  # not -1: torch's ONNX exporter writes a negative axis into Transpose's perm
        for axis in self.axes:
            x = torch.movedim(torch.movedim(x, axis, last) @ getattr(self, f"matrix_{axis}").T, last, axis)
        return x


class Embedding(nn.Module):
    """``Gather`` of a constant table's rows by an integer label ``[B, ...]``."""

    def __init__(self, table: np.ndarray) -> None:
        super().__init__()
        self.table = nn.Parameter(tensor(table))

    def forward(self, index: torch.Tensor) -> torch.Tensor:
        return F.embedding(index.long(), self.table)


class Select(nn.Module):
    """``Gather`` of an activation along a non-batch ``axis`` with constant indices."""

    def __init__(self, axis: int, indices: np.ndarray) -> None:
        super().__init__()
        self.axis = axis
        self.register_buffer("indices", torch.tensor(np.asarray(indices, np.int64)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        flat = torch.index_select(x, self.axis, self.indices.reshape(-1))
        return flat.reshape(*x.shape[: self.axis], *self.indices.shape, *x.shape[self.axis + 1 :])


class Cast(nn.Module):
    def __init__(self, to_float: bool) -> None:
        super().__init__()
        self.to_float = to_float

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.float() if self.to_float else x.round().long()


class Normalize(nn.Module):
    """Instance, group or layer normalization with ONNX's per-channel or per-element affine."""

    def __init__(
        self,
        kind: str,
        eps: float,
        weight: np.ndarray,
        bias: np.ndarray,
        groups: int = 1,
        normalized: tuple[int, ...] = (),
    ) -> None:
        super().__init__()
        self.kind, self.eps, self.groups, self.normalized = kind, eps, groups, tuple(normalized)
        self.weight, self.bias = nn.Parameter(tensor(weight)), nn.Parameter(tensor(bias))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.kind == "instance":
            return F.instance_norm(x, weight=self.weight, bias=self.bias, eps=self.eps)
        if self.kind == "group":
            return F.group_norm(x, self.groups, self.weight, self.bias, self.eps)
        return F.layer_norm(x, self.normalized, self.weight, self.bias, self.eps)


class Pipeline(nn.Sequential):
    """Layers one ONNX node becomes (a pad before a convolution, a crop after a transposed one)."""


class Mean(nn.Module):
    """``ReduceMean`` over non-batch ``dims``."""

    def __init__(self, dims: tuple[int, ...], keepdim: bool) -> None:
        super().__init__()
        self.dims, self.keepdim = dims, keepdim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.mean(dim=self.dims, keepdim=self.keepdim)
