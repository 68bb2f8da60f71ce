"""One node as an operator builder sees it, and the step a builder returns."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np
from torch import nn

from gen_core.files.onnx_graph.reader import GraphError
from gen_core.files.onnx_graph.values import Activation, plain

Value = Activation | np.ndarray


@dataclasses.dataclass
class Step:
    """What a node does: its outputs' values, its multiply-adds per picture, and ``make``, which
    builds its torch layer (called only once the whole graph has passed the cost check)."""

    outputs: list[Value]
    macs: int
    make: Callable[[], nn.Module]


@dataclasses.dataclass
class NodeView:
    op_type: str
    name: str
    attrs: dict
    args: list[Value | None]  # None: an omitted optional input
    opset: int

    def refuse(self, why: str) -> GraphError:
        return GraphError(f"operator {self.op_type} ({self.name[:60] or 'unnamed'}): {why}")

    def activation(self, index: int = 0) -> Activation:
        value = self.args[index] if index < len(self.args) else None
        if not isinstance(value, Activation):
            raise self.refuse(f"input {index} must be computed from the latent")
        return value

    def constant(self, index: int, what: str, *, required: bool = True) -> np.ndarray | None:
        """Input ``index`` as a finite float32 array (``None`` when omitted and not required)."""
        value = self.args[index] if index < len(self.args) else None
        if value is None and not required:
            return None
        if not isinstance(value, np.ndarray):
            raise self.refuse(f"its {what} must be a constant (an initializer), not computed")
        array = plain(value, f"{self.op_type} {what}").astype(np.float32)
        if not np.isfinite(array).all():
            raise self.refuse(f"its {what} holds non-finite values (NaN or inf)")
        return array

    def integers(self, index: int, what: str) -> list[int] | None:
        value = self.args[index] if index < len(self.args) else None
        if value is None:
            return None
        if not isinstance(value, np.ndarray):
            raise self.refuse(f"its {what} must be a constant")
        return [int(v) for v in plain(value, f"{self.op_type} {what}").reshape(-1)]

    def number(self, index: int, what: str, default: float | None) -> float | None:
        value = self.constant(index, what, required=False)
        if value is None:
            return default
        if value.size != 1:
            raise self.refuse(f"its {what} must be one number, it has shape {list(value.shape)}")
        return float(value.reshape(-1)[0])

    def ints_attr(self, key: str, default: list[int]) -> list[int]:
        value = self.attrs.get(key, default)
        if not isinstance(value, list) or not all(isinstance(v, int) for v in value):
            raise self.refuse(f"attribute {key} must be a list of integers")
        return value

    def same_shape(self, make: Callable[[], nn.Module], macs_per_element: int = 1) -> Step:
        """A step whose one output has its first input's shape (an element-wise function)."""
        x = self.activation(0)
        return Step([x], x.size * macs_per_element, make)
