"""Constant folding: operators whose inputs are all known are evaluated once with numpy.

This is how exporters' shape subgraphs (``Shape -> Gather -> Unsqueeze -> Concat -> Reshape``
for ``x.view(x.size(0), -1)``) become plain reshape targets; the batch size stays a symbol.
"""

from __future__ import annotations

import math

import numpy as np

from gen_core.files.onnx_graph.limits import MAX_FOLDED
from gen_core.files.onnx_graph.reader import DTYPES, GraphError
from gen_core.files.onnx_graph.values import BATCH, Activation, axis_of, has_batch, ints, plain


def shape_of(activation: Activation, attrs: dict) -> np.ndarray:
    """``Shape`` of an activation: ``[batch, *shape]`` sliced by ``start``/``end``."""
    full = np.array([BATCH, *activation.shape], dtype=object)
    return full[slice(attrs.get("start", 0), attrs.get("end"))]


def _unsqueeze(x, attrs, args):
    axes = attrs.get("axes") if len(args) < 2 else ints(args[1], "Unsqueeze axes")
    rank = x.ndim + len(axes)
    for axis in sorted(axis_of(a, rank, "Unsqueeze") for a in axes):
        x = np.expand_dims(x, axis)
    return x


def _squeeze(x, attrs, args):
    axes = attrs.get("axes") if len(args) < 2 else ints(args[1], "Squeeze axes")
    if axes is None:
        return np.squeeze(x)
    return np.squeeze(x, tuple(axis_of(a, x.ndim, "Squeeze") for a in axes))


def _slice(x, attrs, args):
    if len(args) == 1:  # opset < 10: attributes
        starts, ends, axes = attrs["starts"], attrs["ends"], attrs.get("axes")
        steps = None
    else:
        starts, ends = ints(args[1], "Slice starts"), ints(args[2], "Slice ends")
        axes = ints(args[3], "Slice axes") if len(args) > 3 and args[3] is not None else None
        steps = ints(args[4], "Slice steps") if len(args) > 4 and args[4] is not None else None
    index = [slice(None)] * x.ndim
    for i, axis in enumerate(axes if axes is not None else range(len(starts))):
        step = steps[i] if steps else 1
        if step == 0:
            raise GraphError("Slice with step 0")
        index[axis_of(axis, x.ndim, "Slice")] = slice(starts[i], ends[i], step)
    return x[tuple(index)]


def _reshape(x, attrs, args):
    target = ints(args[1], "a folded Reshape target")
    target = [x.shape[i] if v == 0 and not attrs.get("allowzero") else v for i, v in enumerate(target)]
    return x.reshape(target)


def _cast(x, attrs, args):
    if has_batch(x):
        return x  # a shape value stays integers whatever it is cast to
    to = attrs.get("to")
    if to not in DTYPES:
        raise GraphError(f"Cast to data type {to} is not supported")
    return x.astype(DTYPES[to][0])


def _constant_of_shape(x, attrs, args):
    shape = ints(x, "ConstantOfShape's shape")
    if any(n < 0 for n in shape) or math.prod(shape) > MAX_FOLDED:
        raise GraphError(f"ConstantOfShape {shape[:8]} is negative or too large")
    value = attrs.get("value", np.zeros(1, np.float32))
    return np.full(shape, value.reshape(-1)[0], value.dtype)


def _arithmetic(function):
    def fold(x, attrs, args):
        if any(a.dtype == object for a in args):  # shape arithmetic with the batch symbol
            return function(*(a.astype(object) for a in args))
        return function(*args)

    return fold


FOLDERS = {
    "Identity": lambda x, attrs, args: x,
    "Cast": _cast,
    "Unsqueeze": _unsqueeze,
    "Squeeze": _squeeze,
    "Slice": _slice,
    "Reshape": _reshape,
    "Shape": lambda x, attrs, args: np.array(x.shape, np.int64)[
        slice(attrs.get("start", 0), attrs.get("end"))
    ],
    "Gather": lambda x, attrs, args: np.take(
        x,
        plain(args[1], "Gather indices").astype(np.int64),
        axis=axis_of(attrs.get("axis", 0), x.ndim, "Gather"),
    ),
    "Concat": lambda x, attrs, args: np.concatenate(
        [a.astype(object) if any(b.dtype == object for b in args) else a for a in args],
        axis=axis_of(attrs.get("axis", 0), x.ndim, "Concat"),
    ),
    "Transpose": lambda x, attrs, args: np.transpose(x, attrs.get("perm")),
    "ConstantOfShape": _constant_of_shape,
    "Add": _arithmetic(np.add),
    "Sub": _arithmetic(np.subtract),
    "Mul": _arithmetic(np.multiply),
    "Div": _arithmetic(lambda a, b: a // b if a.dtype.kind in "iuO" else a / b),
    # Keras' export computes its "same" padding with Mod on shapes; fmod=1 keeps the dividend's sign.
    "Mod": lambda x, attrs, args: _arithmetic(np.fmod if attrs.get("fmod", 0) else np.mod)(x, attrs, args),
    # torch's export of Keras' reshapes and upsampling selects shape entries with these.
    "Equal": _arithmetic(np.equal),
    "Where": lambda x, attrs, args: np.where(plain(x, "Where condition").astype(bool), args[1], args[2]),
    "Expand": lambda x, attrs, args: np.broadcast_to(
        x, np.broadcast_shapes(x.shape, tuple(int(v) for v in plain(args[1], "Expand shape")))
    ).copy(),
    "Neg": lambda x, attrs, args: -plain(x, "Neg"),
    "Sqrt": lambda x, attrs, args: np.sqrt(plain(x, "Sqrt")),
    "Pow": lambda x, attrs, args: np.power(plain(x, "Pow"), plain(args[1], "Pow")),
}


def fold(op_type: str, attrs: dict, args: list[np.ndarray]) -> np.ndarray:
    """The value of ``op_type`` on constant ``args``; ``GraphError`` when it cannot be folded."""
    try:
        with np.errstate(all="ignore"):
            value = np.asarray(FOLDERS[op_type](args[0], attrs, args))
    except GraphError:
        raise
    except (ValueError, IndexError, TypeError, KeyError, OverflowError) as err:
        raise GraphError(f"{op_type} on constants fails ({type(err).__name__}: {str(err)[:120]})") from None
    if value.size > max(MAX_FOLDED, *(a.size for a in args)):  # no growth by repeated Concat
        raise GraphError(f"{op_type} on constants makes {value.size} elements, over the cap of {MAX_FOLDED}")
    return value
