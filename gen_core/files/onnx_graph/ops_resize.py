"""Builders of Resize and Upsample: nearest and (bi)linear, every coordinate convention that torch,
Keras (through tf2onnx) and the ONNX reference use, as one interpolation matrix per axis."""

from __future__ import annotations

import math

import numpy as np

from gen_core.files.onnx_graph import layers
from gen_core.files.onnx_graph.limits import MAX_ACTIVATION, MAX_IMAGE_SIDE
from gen_core.files.onnx_graph.node import NodeView, Step
from gen_core.files.onnx_graph.values import Activation

COORDINATES = {
    "half_pixel": lambda i, scale, n, m: (i + 0.5) / scale - 0.5,
    "pytorch_half_pixel": lambda i, scale, n, m: (i + 0.5) / scale - 0.5 if m > 1 else 0 * i,
    "align_corners": lambda i, scale, n, m: i * (n - 1) / (m - 1) if m > 1 else 0 * i,
    "asymmetric": lambda i, scale, n, m: i / scale,
    "tf_half_pixel_for_nn": lambda i, scale, n, m: (i + 0.5) / scale,
}
NEAREST = {
    "round_prefer_floor": lambda x: np.ceil(x - 0.5),
    "round_prefer_ceil": lambda x: np.floor(x + 0.5),
    "floor": np.floor,
    "ceil": np.ceil,
}


def interpolation_matrix(
    n: int, m: int, scale: float, coordinates: str, mode: str, nearest: str
) -> np.ndarray:
    """``[m, n]``: row ``i`` holds the weights of the ``n`` inputs that make output ``i``."""
    x = COORDINATES[coordinates](np.arange(m, dtype=np.float64), scale, n, m)
    matrix = np.zeros((m, n))
    rows = np.arange(m)
    if mode == "nearest":
        matrix[rows, np.clip(NEAREST[nearest](x), 0, n - 1).astype(np.int64)] = 1.0
        return matrix
    x = np.clip(x, 0, n - 1)
    low = np.floor(x).astype(np.int64)
    high, frac = np.minimum(low + 1, n - 1), x - low
    np.add.at(matrix, (rows, low), 1 - frac)
    np.add.at(matrix, (rows, high), frac)
    return matrix


def _scales_and_sizes(node: NodeView, x: Activation) -> tuple[list[float], list[int]]:
    if node.op_type == "Upsample" and "scales" in node.attrs:
        scales = [float(s) for s in node.attrs["scales"]]
    elif node.op_type == "Upsample" or node.opset < 11:
        scales = node.constant(1, "scales").reshape(-1).tolist()
    else:
        sizes = node.integers(3, "sizes")
        given = node.constant(2, "scales", required=False)
        if sizes:
            if len(sizes) != x.rank:
                raise node.refuse(f"sizes {sizes} do not fit an input of rank {x.rank}")
            full = (1, *x.shape)
            return [s / n for s, n in zip(sizes, full, strict=True)], list(sizes)
        if given is None or given.size == 0:
            raise node.refuse("needs scales or sizes")
        scales = given.reshape(-1).tolist()
    if len(scales) != x.rank or any(not (0 < s <= MAX_IMAGE_SIDE) for s in scales):
        raise node.refuse(
            f"scales {scales} do not fit an input of rank {x.rank} (each in (0, {MAX_IMAGE_SIDE}])"
        )
    full = (1, *x.shape)
    return scales, [math.floor(n * s) for n, s in zip(full, scales, strict=True)]


def resize(node: NodeView) -> Step:
    x = node.activation(0)
    mode = node.attrs.get("mode", "nearest")
    mode = "linear" if mode == "bilinear" else mode
    legacy = node.op_type == "Upsample" or node.opset < 11
    coordinates = node.attrs.get("coordinate_transformation_mode", "asymmetric" if legacy else "half_pixel")
    nearest = node.attrs.get("nearest_mode", "floor" if legacy else "round_prefer_floor")
    if mode not in ("nearest", "linear") or coordinates not in COORDINATES or nearest not in NEAREST:
        raise node.refuse(
            f"mode {mode!r} with coordinates {coordinates!r} and nearest_mode {nearest!r} "
            f"is not supported (modes: nearest, linear; coordinates: {', '.join(COORDINATES)})"
        )
    if node.attrs.get("antialias", 0) or "axes" in node.attrs:
        raise node.refuse("antialias and axes are not supported")
    scales, sizes = _scales_and_sizes(node, x)
    if sizes[0] != 1 or any(s < 1 for s in sizes):
        raise node.refuse(f"it resizes to {sizes}: the batch must stay and no axis may vanish")
    out = Activation(tuple(sizes[1:]))
    resized = {
        axis: (n, m, s)
        for axis, (n, m, s) in enumerate(zip((1, *x.shape), sizes, scales, strict=True))
        if n != m or s != 1.0
    }
    if 1 in resized or 0 in resized:
        raise node.refuse(f"it resizes the batch or channel axis (scales {scales})")
    if any(n * m > MAX_ACTIVATION for n, m, _ in resized.values()):
        raise node.refuse(f"it resizes an axis from {x.shape} to {sizes[1:]}, too long to interpolate")

    def make():
        return layers.Resample(
            {
                axis: interpolation_matrix(n, m, s, coordinates, mode, nearest)
                for axis, (n, m, s) in resized.items()
            }
        )

    return Step([out], out.size * 2 * max(len(resized), 1), make)
