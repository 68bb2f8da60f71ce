"""What the planner knows about each value of a graph: a constant array, or an activation computed
from the inputs, ``[B, *shape]`` with the batch always first."""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from gen_core.files.onnx_graph.reader import GraphError


class BatchSize:
    """The batch size inside a folded shape value (``Shape`` of an activation): unknown until
    decoding, so only the arithmetic that keeps it intact is allowed."""

    def __repr__(self) -> str:
        return "batch"

    def _keep(self, other, what: str):
        if isinstance(other, (int, np.integer)) and int(other) == 1:
            return self
        raise GraphError(f"a shape computes {what} the batch size, which is not supported")

    def __mul__(self, other):
        return self._keep(other, "with")

    __rmul__ = __mul__

    def __floordiv__(self, other):
        return self._keep(other, "a division of")

    __truediv__ = __floordiv__

    def __add__(self, other):
        return self._keep(1 if other == 0 else other + 1, "a sum with")

    __radd__ = __add__

    def __int__(self):
        raise GraphError("a shape uses the batch size as a number, which is not supported")


BATCH = BatchSize()


@dataclasses.dataclass(frozen=True)
class Activation:
    """A value computed from the inputs: ``[B, *shape]``; ``kind`` is ``float``, ``int`` or
    ``bool`` (a comparison's mask)."""

    shape: tuple[int, ...]
    kind: str = "float"

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    @property
    def rank(self) -> int:
        """The rank with the batch axis, as ONNX counts axes."""
        return len(self.shape) + 1


def has_batch(value: np.ndarray) -> bool:
    return value.dtype == object and any(v is BATCH for v in value.reshape(-1))


def plain(value: np.ndarray, what: str) -> np.ndarray:
    """``value`` as numbers; a value that depends on the batch size cannot be one."""
    if has_batch(value):
        raise GraphError(f"{what} depends on the batch size")
    return np.asarray(value.tolist() if value.dtype == object else value)


def ints(value: np.ndarray, what: str) -> list[int]:
    return [int(v) for v in plain(value, what).reshape(-1)]


def axis_of(axis: int, rank: int, what: str) -> int:
    """An ONNX axis (negative counts from the end) of a tensor of ``rank``, checked."""
    if not -rank <= axis < rank:
        raise GraphError(f"{what}: axis {axis} is outside a tensor of rank {rank}")
    return axis % rank


def per_sample_axis(axis: int, activation: Activation, what: str) -> int:
    """An axis of ``activation`` counted without the batch; the batch axis itself is refused."""
    axis = axis_of(axis, activation.rank, what)
    if axis == 0:
        raise GraphError(f"{what} works along the batch axis, which is not supported")
    return axis - 1


def broadcast(what: str, *shapes: tuple[int, ...]) -> tuple[int, ...]:
    """Numpy broadcasting of full shapes (batch included as 1 for activations)."""
    try:
        return tuple(int(n) for n in np.broadcast_shapes(*shapes))
    except ValueError:
        raise GraphError(f"{what}: shapes {[list(s) for s in shapes]} do not broadcast") from None
