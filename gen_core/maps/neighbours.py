"""A mapped point's nearest neighbours in the latent space, and how many of them its 2-D map keeps
near it.

A map's distances are a drawing of the latent space's: UMAP keeps local neighbourhoods better than
global ones, PCA the reverse, and neither keeps all of them. Beside a point's true neighbours (by
Euclidean or cosine distance between latents) the app says how many of them the map draws among
the point's nearest map points, so a viewer knows how far to trust the drawing around it.
"""

from __future__ import annotations

import dataclasses

import numpy as np

EUCLIDEAN, COSINE = "euclidean", "cosine"
METRICS = (EUCLIDEAN, COSINE)
SHOWN_NEIGHBOURS = 8


@dataclasses.dataclass(frozen=True)
class Neighbours:
    """``indices`` ``[k]`` of a point's nearest other points, nearest first (ties by index), their
    ``distances`` ``[k]`` and how many of them are also among its ``k`` nearest on the map."""

    indices: np.ndarray
    distances: np.ndarray
    kept_on_map: int


def distances_from(points: np.ndarray, index: int, metric: str = EUCLIDEAN) -> np.ndarray:
    """Distance ``[N]`` from ``points[index]`` to each of ``points`` ``[N, D]``.

    Cosine distance is ``1 - cos``; a zero vector has no direction, so it is at 1 (as orthogonal)
    from every point, itself included.
    """
    x = np.asarray(points, dtype=np.float64)
    if metric == EUCLIDEAN:
        return np.linalg.norm(x - x[index], axis=1)
    if metric == COSINE:
        norms = np.linalg.norm(x, axis=1)
        unit = np.divide(x, norms[:, None], out=np.zeros_like(x), where=norms[:, None] > 0)
        return 1.0 - unit @ unit[index]
    raise ValueError(f"unknown metric {metric!r}: use one of {', '.join(METRICS)}")


def nearest_to(points: np.ndarray, index: int, k: int,
               metric: str = EUCLIDEAN) -> tuple[np.ndarray, np.ndarray]:
    """Indices ``[k']`` and distances ``[k']`` of the ``k' = min(k, N - 1)`` points of ``points``
    ``[N, D]`` nearest to ``points[index]``, itself left out; nearest first, ties by index."""
    count = len(points)
    if not 0 <= index < count:
        raise IndexError(f"point {index} is not on the map ({count} points)")
    distances = distances_from(points, index, metric)
    distances[index] = np.inf
    order = np.argsort(distances, kind="stable")[:max(0, min(k, count - 1))]
    return order, distances[order]


def neighbours_on_map(latents: np.ndarray, coords: np.ndarray, index: int, k: int = SHOWN_NEIGHBOURS,
                      metric: str = EUCLIDEAN) -> Neighbours:
    """Point ``index``'s ``k`` nearest latents ``[N, D]`` by ``metric``, and how many of them are
    among its ``k`` nearest map points ``coords`` ``[N, 2]`` (Euclidean, as the map is seen)."""
    if len(latents) != len(coords):
        raise ValueError(f"{len(latents)} latents but {len(coords)} map points")
    indices, distances = nearest_to(latents, index, k, metric)
    on_map, _ = nearest_to(coords, index, k)
    return Neighbours(indices, distances, len(np.intersect1d(indices, on_map)))
