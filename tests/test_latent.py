"""gen_core.latent: paths, grids, traversals and per-dimension KL, checked against closed forms."""

from __future__ import annotations

import math

import pytest
import torch

from gen_core.latent.encoding import mean_kl_per_dim, order_by_kl
from gen_core.latent.operations import (
    bilinear_grid,
    clamp_to_spec,
    lerp,
    seed_latent,
    slerp,
    traversal,
    traversal_grid,
    traversal_width,
    zero_latent,
)
from gen_core.models import LatentDim
from tests.conftest import tiny_model

MIXED_SPEC = [LatentDim("g"), LatentDim("u", "uniform", 1.0, 2.0),
              LatentDim("c", "categorical", 0, 1, ("a", "b", "c"))]


def test_lerp_is_evenly_spaced_between_the_endpoints():
    a, b = torch.tensor([0.0, 2.0]), torch.tensor([4.0, -2.0])
    path = lerp(a, b, 5)
    assert path.shape == (5, 2)
    torch.testing.assert_close(path[0], a)
    torch.testing.assert_close(path[-1], b)
    torch.testing.assert_close(path[2], (a + b) / 2)


def test_slerp_between_orthogonal_unit_vectors_stays_on_the_circle():
    a, b = torch.tensor([1.0, 0.0]), torch.tensor([0.0, 1.0])
    path = slerp(a, b, 3)
    torch.testing.assert_close(path[1], torch.tensor([1.0, 1.0]) / math.sqrt(2))
    torch.testing.assert_close(path.norm(dim=1), torch.ones(3))


def test_slerp_interpolates_the_norm_and_hits_both_ends():
    gen = torch.Generator().manual_seed(0)
    a, b = torch.randn(8, generator=gen), 3 * torch.randn(8, generator=gen)
    path = slerp(a, b, 7)
    torch.testing.assert_close(path[0], a)
    torch.testing.assert_close(path[-1], b)
    torch.testing.assert_close(path.norm(dim=1), torch.linspace(a.norm().item(), b.norm().item(), 7))


def test_slerp_of_parallel_or_zero_endpoints_falls_back_to_lerp():
    a = torch.tensor([1.0, 1.0])
    torch.testing.assert_close(slerp(a, 2 * a, 3), lerp(a, 2 * a, 3))
    torch.testing.assert_close(slerp(torch.zeros(2), a, 3), lerp(torch.zeros(2), a, 3))


def test_bilinear_grid_puts_the_corners_at_the_corners_and_the_mean_in_the_middle():
    corners = torch.tensor([[0.0, 0.0], [4.0, 0.0], [0.0, 8.0], [4.0, 8.0]])
    grid = bilinear_grid(corners, 3)
    assert grid.shape == (9, 2)
    torch.testing.assert_close(grid[[0, 2, 6, 8]], corners)
    torch.testing.assert_close(grid[4], corners.mean(0))


def test_traversal_sweeps_one_dimension_across_its_range():
    z = torch.tensor([0.5, 1.5, 1.0])
    path = traversal(z, 0, MIXED_SPEC, steps=9)
    torch.testing.assert_close(path[:, 0], torch.linspace(-3, 3, 9))
    assert (path[:, 1:] == z[1:]).all()
    torch.testing.assert_close(traversal(z, 1, MIXED_SPEC, 3)[:, 1], torch.tensor([1.0, 1.5, 2.0]))
    torch.testing.assert_close(traversal(z, 2, MIXED_SPEC)[:, 2], torch.tensor([0.0, 1.0, 2.0]))


def test_traversal_grid_stacks_rows_of_equal_length():
    grid = traversal_grid(torch.tensor([0.0, 1.5, 1.0]), [0, 2], MIXED_SPEC, steps=5)
    assert grid.shape == (10, 3) and traversal_width([0, 2], MIXED_SPEC, 5) == 5
    assert set(grid[5:, 2].tolist()) == {0.0, 1.0, 2.0}


def test_traversal_grid_widens_to_show_every_class():
    grid = traversal_grid(torch.tensor([0.0, 1.5, 1.0]), [2, 0], MIXED_SPEC, steps=2)
    assert traversal_width([2, 0], MIXED_SPEC, 2) == 3 and grid.shape == (6, 3)
    assert grid[:3, 2].tolist() == [0.0, 1.0, 2.0]
    torch.testing.assert_close(grid[3:, 0], torch.linspace(-3, 3, 3))


def test_clamp_and_zero_respect_each_kind():
    clamped = clamp_to_spec(torch.tensor([5.0, 0.0, 1.6]), MIXED_SPEC)
    torch.testing.assert_close(clamped, torch.tensor([3.0, 1.0, 2.0]))
    torch.testing.assert_close(zero_latent(MIXED_SPEC), torch.tensor([0.0, 1.5, 0.0]))


def test_seed_latent_is_reproducible_and_seed_dependent():
    model = tiny_model("dcgan")
    torch.testing.assert_close(seed_latent(model, 3), seed_latent(model, 3))
    assert not torch.equal(seed_latent(model, 3), seed_latent(model, 4))


def test_mean_kl_per_dim_sums_to_the_models_kl_term():
    model = tiny_model("vae")
    images = torch.rand(37, *model.image_shape, generator=torch.Generator().manual_seed(0))
    per_dim = mean_kl_per_dim(model, images, batch_size=10)
    assert per_dim.shape == (model.latent_dim,) and (per_dim >= 0).all()
    with torch.no_grad():
        kl = model.loss(images)["kl"]
    assert per_dim.sum().item() == pytest.approx(kl.item(), rel=1e-5)


def test_order_by_kl_splits_active_from_inactive():
    active, inactive = order_by_kl(torch.tensor([0.5, 0.001, 2.0, 0.0, 0.01]))
    assert active == [2, 0, 4]
    assert inactive == [1, 3]
