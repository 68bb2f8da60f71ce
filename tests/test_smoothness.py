"""Perceptual path length and per-dimension effect sizes, in the dataset classifier's features."""

from __future__ import annotations

import pytest
import torch

from gen_core.data import load_dataset
from gen_core.eval.classifier import load_classifier
from gen_core.eval.metric_keys import DIM_EFFECT, EFFECTIVE_DIMS, PPL, PPL_REAL, PPL_SPREAD
from gen_core.eval.smoothness import dimension_effects, order_by_effect, perceptual_path_length
from tests.conftest import tiny_model


def lively(model):
    """``model`` with weights large enough that its pictures vary with the latent (the tiny
    models start from DCGAN's N(0, 0.02), which draws one grey picture for every latent)."""
    torch.manual_seed(0)
    with torch.no_grad():
        for layer in model.modules():
            if isinstance(layer, (torch.nn.Linear, torch.nn.ConvTranspose2d, torch.nn.Conv2d)):
                torch.nn.init.normal_(layer.weight, std=0.5)
    return model


@pytest.fixture(scope="module")
def classifier(digits_classifier_file):
    return load_classifier(digits_classifier_file)


@pytest.fixture(scope="module")
def real():
    return load_dataset("digits", train=False).images


def test_a_dimension_the_decoder_ignores_has_no_effect_and_is_not_counted(classifier):
    model = lively(tiny_model("dcgan"))
    with torch.no_grad():
        model.generator.net[0].weight[:, 0].zero_()  # the first latent dimension reaches nothing
    metrics = dimension_effects(model, classifier, samples=20)
    effects = metrics[DIM_EFFECT]
    assert effects[0] == 0 and min(effects[1:]) > 0
    assert metrics[EFFECTIVE_DIMS] <= len(effects) - 1
    assert order_by_effect(effects)[-1] == 0 and order_by_effect([1.0, 3.0, 2.0]) == [1, 2, 0]


def test_a_constant_decoder_has_no_path_length_and_the_reference_does_not_depend_on_the_model(
        classifier, real):
    moving, still = lively(tiny_model("dcgan")), lively(tiny_model("dcgan", seed=1))
    with torch.no_grad():
        for p in still.generator.net[0].parameters():
            p.zero_()  # every latent gives the same picture
    ppl_moving = perceptual_path_length(moving, classifier, real, pairs=64)
    ppl_still = perceptual_path_length(still, classifier, real, pairs=64)
    assert ppl_still[PPL] == 0 and ppl_moving[PPL] > 0 and ppl_moving[PPL_SPREAD] > 0
    assert ppl_moving[PPL_REAL] == ppl_still[PPL_REAL] > 0  # the same cross-fades of real pairs


def test_a_categorical_code_keeps_its_value_along_the_path_and_has_an_effect(classifier, real):
    model = lively(tiny_model("infogan"))
    column = next(i for i, d in enumerate(model.latent_spec) if d.kind == "categorical")
    effects = dimension_effects(model, classifier, samples=20)[DIM_EFFECT]
    assert len(effects) == model.latent_dim and effects[column] > 0
    assert perceptual_path_length(model, classifier, real, pairs=32)[PPL] > 0
