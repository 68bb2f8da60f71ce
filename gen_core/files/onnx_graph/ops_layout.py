"""Builders of operators that move values around: reshape, transpose, concat, slice, pad, gather.

The batch stays on axis 0 throughout: an operator that would move it or mix it with another axis
is refused, which is what lets every shape be known per picture before anything runs.
"""

from __future__ import annotations

import math

import numpy as np

from gen_core.files.onnx_graph import layers
from gen_core.files.onnx_graph.limits import MAX_CLASSES
from gen_core.files.onnx_graph.node import NodeView, Step
from gen_core.files.onnx_graph.values import BATCH, Activation, axis_of, per_sample_axis


def _to_shape(node: NodeView, x: Activation, shape: list[int]) -> Step:
    if any(n < 1 for n in shape) or math.prod(shape) != x.size:
        raise node.refuse(f"cannot reshape {list(x.shape)} into {shape} per picture")
    return Step([Activation(tuple(shape), x.kind)], 0, lambda: layers.Reshape(tuple(shape)))


def reshape(node: NodeView) -> Step:
    x = node.activation(0)
    raw = node.attrs["shape"] if node.opset < 5 and "shape" in node.attrs else node.args[1]
    if not isinstance(raw, (list, np.ndarray)):
        raise node.refuse("its target shape must be constant (or computed from shapes only)")
    target = list(np.asarray(raw, dtype=object).reshape(-1))
    full = [BATCH, *x.shape]
    if not node.attrs.get("allowzero", 0):
        target = [
            full[i] if isinstance(v, (int, np.integer)) and v == 0 and i < len(full) else v
            for i, v in enumerate(target)
        ]
    if not target or target[0] not in (BATCH, -1, 1) or any(v is BATCH for v in target[1:]):
        raise node.refuse(f"the target {target[:8]} must keep the batch first")
    rest = [int(v) for v in target[1:]]
    if rest.count(-1) + (target[0] == -1) > 1 or any(v < -1 for v in rest):
        raise node.refuse(f"the target {target[:8]} is not a shape")
    if -1 in rest:
        known = math.prod(v for v in rest if v != -1)
        if known < 1 or x.size % known:
            raise node.refuse(f"cannot reshape {list(x.shape)} into {target[:8]}")
        rest[rest.index(-1)] = x.size // known
    return _to_shape(node, x, rest)


def expand(node: NodeView) -> Step:
    """Broadcast to a constant shape, numpy-style from the right (how torch exports
    ``repeat_interleave``, e.g. Keras' UpSampling2D): the batch entry must stay the batch or 1."""
    x = node.activation(0)
    raw = node.args[1] if len(node.args) > 1 else None
    if not isinstance(raw, np.ndarray):
        raise node.refuse("its target shape must be constant (or computed from shapes only)")
    target = list(raw.astype(object).reshape(-1))
    full = [BATCH, *x.shape]
    if len(target) > len(full):
        full = [BATCH, *[1] * (len(target) - len(full)), *x.shape]
    target = [1] * (len(full) - len(target)) + target
    if target[0] not in (BATCH, 1) or any(v is BATCH for v in target[1:]):
        raise node.refuse(f"the target {target[:8]} must keep the batch first")
    shape = []
    for have, want in zip(full[1:], target[1:], strict=True):
        want = int(want)
        if want != have and 1 not in (want, have):
            raise node.refuse(f"cannot broadcast {list(x.shape)} to {target[1:8]} per picture")
        shape.append(max(have, want) if 1 in (have, want) else have)
    return Step([Activation(tuple(shape), x.kind)], 0, lambda: layers.Expand(tuple(shape)))


def flatten(node: NodeView) -> Step:
    x = node.activation(0)
    axis = axis_of(node.attrs.get("axis", 1), x.rank + 1, "Flatten")
    if axis == 0 or math.prod(x.shape[: axis - 1]) != 1:
        raise node.refuse(f"axis {axis} would merge the batch with other axes")
    return _to_shape(node, x, [x.size])


def _axes(node: NodeView) -> list[int] | None:
    return node.attrs.get("axes") if node.opset < 13 else node.integers(1, "axes")


def squeeze(node: NodeView) -> Step:
    x, axes = node.activation(0), _axes(node)
    if axes is None:
        axes = [i + 1 for i, n in enumerate(x.shape) if n == 1]
    drop = {per_sample_axis(a, x, "Squeeze") for a in axes}
    if any(x.shape[a] != 1 for a in drop):
        raise node.refuse(f"axes {axes} of {list(x.shape)} are not all of size 1")
    return _to_shape(node, x, [n for i, n in enumerate(x.shape) if i not in drop])


def unsqueeze(node: NodeView) -> Step:
    x, axes = node.activation(0), _axes(node)
    rank = x.rank + len(axes or [])
    shape = list(x.shape)
    for axis in sorted(axis_of(a, rank, "Unsqueeze") for a in axes or []):
        if axis == 0:
            raise node.refuse("it adds an axis before the batch")
        shape.insert(axis - 1, 1)
    return _to_shape(node, x, shape)


def transpose(node: NodeView) -> Step:
    x = node.activation(0)
    perm = node.ints_attr("perm", list(reversed(range(x.rank))))
    if sorted(perm) != list(range(x.rank)) or perm[0] != 0:
        raise node.refuse(f"perm {perm} is not a permutation of {x.rank} axes keeping the batch first")
    return Step(
        [Activation(tuple(x.shape[p - 1] for p in perm[1:]), x.kind)], 0, lambda: layers.Transpose(perm)
    )


def concat(node: NodeView) -> Step:
    activations = [a for a in node.args if isinstance(a, Activation)]
    if not activations:
        raise node.refuse("needs at least one computed input")
    first = activations[0]
    axis = per_sample_axis(node.attrs.get("axis", 0), first, "Concat")
    shapes, parts = [], []
    for index, value in enumerate(node.args):
        if isinstance(value, Activation):
            shapes.append(value.shape)
            parts.append(None)
            continue
        constant = node.constant(index, f"input {index}")
        if constant.ndim != first.rank or constant.shape[0] != 1:
            raise node.refuse(
                f"its constant input {list(constant.shape)} is not [1, ...] of rank {first.rank}"
            )
        shapes.append(constant.shape[1:])
        parts.append(constant)
    if any(
        len(s) != len(first.shape) or s[:axis] + s[axis + 1 :] != first.shape[:axis] + first.shape[axis + 1 :]
        for s in shapes
    ):
        raise node.refuse(f"inputs {[list(s) for s in shapes]} differ off axis {axis + 1}")
    shape = list(first.shape)
    shape[axis] = sum(s[axis] for s in shapes)
    return Step([Activation(tuple(shape))], 0, lambda: layers.Concat(axis + 1, parts))


def slice_(node: NodeView) -> Step:
    x = node.activation(0)
    if node.opset < 10:
        starts, ends = node.ints_attr("starts", []), node.ints_attr("ends", [])
        axes, steps = node.attrs.get("axes"), None
    else:
        starts, ends = node.integers(1, "starts"), node.integers(2, "ends")
        axes, steps = node.integers(3, "axes"), node.integers(4, "steps")
    axes = list(range(len(starts or []))) if axes is None else axes
    steps = steps or [1] * len(axes)
    if starts is None or ends is None or not len(starts) == len(ends) == len(axes) == len(steps):
        raise node.refuse("starts, ends, axes and steps must be constants of one length")
    index, shape = [slice(None)] * x.rank, list(x.shape)
    for start, end, axis, step in zip(starts, ends, axes, steps, strict=True):
        axis = per_sample_axis(axis, x, "Slice") + 1
        if step == 0:
            raise node.refuse("a step of 0")
        bounded = slice(*slice(start, end, step).indices(x.shape[axis - 1]))
        index[axis] = bounded
        shape[axis - 1] = len(range(bounded.start, bounded.stop, bounded.step))
    if min(shape, default=1) < 1:
        raise node.refuse(f"it leaves nothing of {list(x.shape)}")
    return Step([Activation(tuple(shape), x.kind)], 0, lambda: layers.Slice(tuple(index)))


def pad(node: NodeView) -> Step:
    x = node.activation(0)
    mode = node.attrs.get("mode", "constant")
    if node.opset < 11:
        pads, value = node.ints_attr("pads", []), float(node.attrs.get("value", 0.0))
    else:
        pads, value = node.integers(1, "pads"), node.number(2, "constant value", 0.0)
        if node.integers(3, "axes") is not None:
            raise node.refuse("the axes input is not supported")
    if pads is None or len(pads) != 2 * x.rank or min(pads) < 0 or max(pads) > 4096:
        raise node.refuse(f"pads {pads} must be 2 x {x.rank} values in [0, 4096]")
    if pads[0] or pads[x.rank] or (mode != "constant" and (pads[1] or pads[x.rank + 1])):
        raise node.refuse(f"pads {pads} pad the batch (or, for mode {mode!r}, the channels)")
    modes = {"constant": "constant", "reflect": "reflect", "edge": "replicate"}
    if mode not in modes:
        raise node.refuse(f"mode {mode!r} is not constant, reflect or edge")
    shape = tuple(n + pads[i + 1] + pads[i + 1 + x.rank] for i, n in enumerate(x.shape))
    if mode == "reflect" and any(
        p >= n for i, n in enumerate(x.shape) for p in (pads[i + 1], pads[i + 1 + x.rank])
    ):
        raise node.refuse("reflect pads must be shorter than the axis they pad")
    torch_pads = [p for i in reversed(range(2, x.rank)) for p in (pads[i], pads[i + x.rank])]
    if mode == "constant":
        torch_pads = [p for i in reversed(range(1, x.rank)) for p in (pads[i], pads[i + x.rank])]
    return Step([Activation(shape)], 0, lambda: layers.Pad(torch_pads, modes[mode], value))


def gather(node: NodeView) -> Step:
    indices = node.args[1] if len(node.args) > 1 else None
    if isinstance(indices, Activation):  # an embedding table looked up by a label
        table = node.constant(0, "table")
        if node.attrs.get("axis", 0) != 0 or indices.kind != "int" or table.ndim < 1:
            raise node.refuse("only rows of a constant table looked up by an integer label are supported")
        if not 1 <= table.shape[0] <= MAX_CLASSES:
            raise node.refuse(f"its table has {table.shape[0]} rows, outside 1..{MAX_CLASSES}")
        out = Activation((*indices.shape, *table.shape[1:]))
        return Step([out], out.size, lambda: layers.Embedding(table))
    x = node.activation(0)
    axis = per_sample_axis(node.attrs.get("axis", 0), x, "Gather")
    picked = np.asarray(node.integers(1, "indices") or [], np.int64).reshape(np.shape(node.args[1]))
    if picked.size and (picked.min() < -x.shape[axis] or picked.max() >= x.shape[axis]):
        raise node.refuse(f"indices outside 0..{x.shape[axis] - 1}")
    picked = picked % x.shape[axis]
    out = Activation((*x.shape[:axis], *picked.shape, *x.shape[axis + 1 :]))
    if out.size < 1:
        raise node.refuse("it gathers nothing")
    return Step([out], 0, lambda: layers.Select(axis + 1, picked))


def reduce_mean(node: NodeView) -> Step:
    """The mean over some non-batch axes (how opset < 17 exports write LayerNorm)."""
    x = node.activation(0)
    axes = node.attrs.get("axes") if node.opset < 18 else node.integers(1, "axes")
    if axes is None:
        raise node.refuse("reducing every axis would mix the batch")
    dims = sorted({per_sample_axis(a, x, "ReduceMean") for a in axes})
    keep = bool(node.attrs.get("keepdims", 1))
    shape = tuple(1 if i in dims else n for i, n in enumerate(x.shape) if keep or i not in dims)
    return Step([Activation(shape)], x.size, lambda: layers.Mean(tuple(d + 1 for d in dims), keep))
