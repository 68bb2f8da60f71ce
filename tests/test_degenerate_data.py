"""Degenerate data for maps and directions: a clear message or a sensible fallback, never a crash."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from gen_core.latent.directions import class_direction, principal_directions
from gen_core.maps.projection import (
    ProjectionError,
    ProjectionParams,
    fit_projection,
    inverse_distance_mean,
    uses_umap,
)
from tests.conftest import tiny_model

UMAP = ProjectionParams("umap", n_neighbors=15)


@pytest.mark.parametrize("latents, says", [(np.zeros((0, 8)), "no latents"),
                                           (np.full((20, 8), np.nan), "20 of 20"),
                                           (np.r_[np.zeros((9, 4)), [[np.inf, 0, 0, 0]]], "1 of 10")])
def test_latents_that_cannot_be_mapped_are_named(latents, says):
    for params in (UMAP, ProjectionParams("pca")):
        with pytest.raises(ProjectionError, match=says):
            fit_projection(latents, params)


def test_too_few_points_for_umap_get_pca_and_the_page_can_say_so():
    latents = np.random.default_rng(0).normal(size=(4, 6))
    assert not uses_umap(4, UMAP) and uses_umap(400, UMAP)
    pca = fit_projection(latents, ProjectionParams("pca"))
    np.testing.assert_array_equal(fit_projection(latents, UMAP), pca)


def test_identical_points_one_dimension_and_one_point_still_map():
    assert np.isfinite(fit_projection(np.ones((30, 5)), ProjectionParams("pca"))).all()
    line = fit_projection(np.arange(6.0)[:, None], UMAP)  # a 1-D latent is drawn as it is
    np.testing.assert_array_equal(line, np.c_[np.arange(6.0), np.zeros(6)])
    assert fit_projection(np.ones((1, 5)), UMAP).shape == (1, 2)
    one = inverse_distance_mean(np.array([[3.0, 3.0]]), np.zeros((1, 2)), np.array([[0.5, -0.5]]))
    np.testing.assert_allclose(one, [[0.5, -0.5]])  # one point: everywhere its latent


def test_one_class_only_has_no_class_direction():
    latents, labels = torch.randn(10, 3), torch.full((10,), 7)
    with pytest.raises(ValueError, match="no examples of class 2"):
        class_direction(latents, labels, 7, 2)


def test_a_generator_whose_early_layer_is_constant_has_no_principal_directions():
    model = tiny_model("dcgan")
    first = next(m for m in model.decoder_layers() if isinstance(m, (nn.Linear, nn.ConvTranspose2d)))
    with torch.no_grad():
        first.weight.zero_()  # the first layer ignores z: nothing varies there
    directions, explained = principal_directions(model, count=3, samples=200,
                                                 generator=torch.Generator().manual_seed(0))
    assert directions == [] and explained.numel() == 0
