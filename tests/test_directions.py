"""Named latent directions: class to class, GANSpace's principal directions, InfoGAN's codes."""

from __future__ import annotations

import pytest
import torch

from gen_core.latent.directions import (
    class_direction,
    code_directions,
    early_layers,
    labelled_samples,
    principal_directions,
)
from tests.conftest import tiny_model


def test_class_direction_is_the_difference_of_the_class_means():
    latents = torch.tensor([[0.0, 0.0], [2.0, 0.0], [10.0, 4.0], [12.0, 6.0], [99.0, 99.0]])
    labels = torch.tensor([4, 4, 9, 9, 1])
    assert torch.equal(class_direction(latents, labels, 4, 9), torch.tensor([10.0, 5.0]))
    assert torch.equal(class_direction(latents, labels, 1, 4), torch.tensor([-98.0, -99.0]))
    with pytest.raises(ValueError, match="no examples of class 3"):
        class_direction(latents, labels, 3, 9)


def test_labelled_samples_are_the_prior_draws_read_by_the_classifier():
    model = tiny_model("dcgan")

    def brightness_class(images: torch.Tensor) -> torch.Tensor:  # 10 "classes" by mean ink
        return torch.nn.functional.one_hot((images.mean((1, 2, 3)) * 10).long().clamp(0, 9), 10).float()

    latents, labels = labelled_samples(model, brightness_class, 30, torch.Generator().manual_seed(0))
    again, _ = labelled_samples(model, brightness_class, 30, torch.Generator().manual_seed(0))
    assert latents.shape == (30, 4) and labels.shape == (30,) and torch.equal(latents, again)
    with torch.no_grad():
        assert torch.equal(labels, brightness_class(model.decode(latents)).argmax(1))


def test_codes_of_an_infogan_are_named_unit_directions():
    model = tiny_model("infogan")
    directions = code_directions(model)
    coded = [i for i, d in enumerate(model.latent_spec) if d.kind != "gaussian"]
    assert len(directions) == len(coded) == 3  # one category and two continuous codes
    for direction, column in zip(directions, coded, strict=True):
        assert direction.vector.nonzero().flatten().tolist() == [column]
        assert model.latent_spec[column].name in direction.name
    assert directions[0].span == 9.0  # ten classes: nine steps from the first to the last
    assert code_directions(tiny_model("dcgan")) == []


@pytest.mark.parametrize("family", ["dcgan", "infogan"])
def test_the_first_ganspace_direction_moves_the_first_principal_coordinate(family):
    model = tiny_model(family)
    directions, explained = principal_directions(model, count=3, samples=600,
                                                 generator=torch.Generator().manual_seed(0))
    assert len(directions) == 3 and explained.shape == (3,)
    assert bool((explained[:-1] >= explained[1:]).all()) and 0 < explained.sum() <= 1
    early = early_layers(model)
    with torch.no_grad():  # principal coordinates of other samples, in standard deviations
        z = model.sample_latent(400, torch.Generator().manual_seed(1))
        reference = early(z).flatten(1)
        centre = reference.mean(0)
        _, _, components = torch.linalg.svd(reference - centre, full_matrices=False)
        coordinates = (reference - centre) @ components[:3].T
        moved = (early(z + directions[0].vector).flatten(1) - centre) @ components[:3].T
        shift = ((moved - coordinates) / coordinates.std(0)).mean(0).abs()
    # One unit of the slider is about one standard deviation of its own coordinate, and moves it most.
    assert 0.5 < shift[0] < 1.5 and shift[0] == shift.max()


def test_ganspace_leaves_codes_alone():
    model = tiny_model("infogan")
    directions, _ = principal_directions(model, count=2, samples=300,
                                         generator=torch.Generator().manual_seed(0))
    coded = torch.tensor([d.kind != "gaussian" for d in model.latent_spec])
    for direction in directions:
        assert torch.all(direction.vector[coded] == 0) and direction.vector[~coded].abs().sum() > 0
