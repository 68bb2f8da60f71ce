"""Walking latent spaces: seeds, clamping to the spec, paths between latents and traversals.

Every function works on plain tensors so the app, scripts and tests share one implementation.
Latents are ``[D]`` (one point) or ``[B, D]`` (a batch); images come from ``model.decode``.
"""

from __future__ import annotations

import torch

from gen_core.models import GenerativeModel, LatentDim


def seed_latent(model: GenerativeModel, seed: int) -> torch.Tensor:
    """The prior latent ``[D]`` that ``seed`` draws; the same seed gives the same latent every time."""
    return model.sample_latent(1, torch.Generator().manual_seed(seed))[0].cpu()


def zero_latent(spec: list[LatentDim]) -> torch.Tensor:
    """The 'neutral' latent ``[D]``: 0 where the range holds it, else the range's middle (or class 0)."""
    values = [0.0 if d.kind == "categorical" else (0.0 if d.low <= 0 <= d.high else (d.low + d.high) / 2)
              for d in spec]
    return torch.tensor(values)


def clamp_to_spec(z: torch.Tensor, spec: list[LatentDim]) -> torch.Tensor:
    """Clip ``z`` ``[..., D]`` into each dimension's range; categorical values become valid indices."""
    low = torch.tensor([0.0 if d.kind == "categorical" else d.low for d in spec])
    high = torch.tensor([len(d.classes) - 1.0 if d.kind == "categorical" else d.high for d in spec])
    clipped = torch.maximum(torch.minimum(z.float(), high), low)
    is_cat = torch.tensor([d.kind == "categorical" for d in spec])
    return torch.where(is_cat, clipped.round(), clipped)


def lerp(a: torch.Tensor, b: torch.Tensor, steps: int) -> torch.Tensor:
    """``steps`` evenly spaced points ``[steps, D]`` on the straight line from ``a`` to ``b`` ``[D]``."""
    t = torch.linspace(0, 1, steps).unsqueeze(1)
    return (1 - t) * a + t * b


def slerp(a: torch.Tensor, b: torch.Tensor, steps: int) -> torch.Tensor:
    """``steps`` points ``[steps, D]`` along the great circle from ``a`` to ``b`` (Shoemake 1985).

    Under a Gaussian prior most mass lies near a sphere, so slerp keeps intermediate latents at a
    typical norm where the straight line dips towards the origin (White 2016, "Sampling Generative
    Networks"). The norm itself is interpolated linearly; nearly parallel endpoints fall back to lerp.
    """
    t = torch.linspace(0, 1, steps).unsqueeze(1)
    norm_a, norm_b = a.norm(), b.norm()
    if norm_a < 1e-8 or norm_b < 1e-8:
        return lerp(a, b, steps)
    unit_a, unit_b = a / norm_a, b / norm_b
    omega = torch.arccos(torch.clamp(unit_a @ unit_b, -1.0, 1.0))
    if omega.abs() < 1e-4:
        return lerp(a, b, steps)
    direction = (torch.sin((1 - t) * omega) * unit_a + torch.sin(t * omega) * unit_b) / torch.sin(omega)
    return direction * ((1 - t) * norm_a + t * norm_b)


def bilinear_grid(corners: torch.Tensor, size: int) -> torch.Tensor:
    """Blend four corner latents ``[4, D]`` (top-left, top-right, bottom-left, bottom-right).

    Returns ``[size * size, D]`` in row-major order, so ``image_grid(decode(z), nrow=size)``
    shows the corners at the picture's corners.
    """
    top_left, top_right, bottom_left, bottom_right = corners
    t = torch.linspace(0, 1, size)
    rows = []
    for v in t:
        left = (1 - v) * top_left + v * bottom_left
        right = (1 - v) * top_right + v * bottom_right
        rows.append(lerp(left, right, size))
    return torch.cat(rows)


def traversal(z: torch.Tensor, dim: int, spec: list[LatentDim], steps: int = 9) -> torch.Tensor:
    """``z`` ``[D]`` repeated ``steps`` times with dimension ``dim`` swept across its range ``[steps, D]``."""
    d = spec[dim]
    if d.kind == "categorical":
        values = torch.arange(len(d.classes), dtype=torch.float32)
    else:
        values = torch.linspace(d.low, d.high, steps)
    path = z.float().repeat(len(values), 1)
    path[:, dim] = values
    return path


def traversal_width(dims: list[int], spec: list[LatentDim], steps: int = 9) -> int:
    """Columns of a traversal grid: ``steps``, or more so that every class of a categorical fits."""
    return max([steps, *(len(spec[d].classes) for d in dims if spec[d].kind == "categorical")])


def traversal_values(dims: list[int], spec: list[LatentDim], steps: int = 9) -> torch.Tensor:
    """The swept dimension's value in each cell of a traversal grid: ``[len(dims), W]``.

    Categorical dimensions sweep all their classes; a grid mixing them with continuous ones needs
    equal row lengths, so continuous rows get W = ``traversal_width`` steps and a categorical with
    fewer than W classes is resampled to W columns.
    """
    width = traversal_width(dims, spec, steps)
    rows = []
    for dim in dims:
        values = traversal(torch.zeros(len(spec)), dim, spec, width)[:, dim]
        if len(values) != width:
            values = values[torch.linspace(0, len(values) - 1, width).round().long()]
        rows.append(values)
    return torch.stack(rows) if rows else torch.zeros(0, width)


def traversal_grid(z: torch.Tensor, dims: list[int], spec: list[LatentDim], steps: int = 9) -> torch.Tensor:
    """One traversal row per chosen dimension, stacked: ``[len(dims) * W, D]`` (see ``traversal_values``)."""
    values = traversal_values(dims, spec, steps)
    grid = z.float().repeat(values.numel(), 1)
    width = values.shape[1]
    for row, dim in enumerate(dims):
        grid[row * width:(row + 1) * width, dim] = values[row]
    return grid
