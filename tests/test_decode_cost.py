"""The decode cost found by shape arithmetic is what a real forward pass does."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from gen_core.files.decode_cost import decode_cost
from gen_core.models import build_model
from tests.conftest import TINY_CONFIGS, tiny_colour_models, tiny_model


def measured(layers: list[nn.Module], latent_dim: int) -> tuple[int, int]:
    """``(largest layer output, multiply-adds)`` of one real forward pass, counted by hooks."""
    peak, multiply_adds = latent_dim, 0

    def count(layer, inputs, output):
        nonlocal peak, multiply_adds
        peak = max(peak, output.numel())
        if isinstance(layer, nn.Linear):
            multiply_adds += output.numel() * layer.in_features
        elif isinstance(layer, nn.Conv2d):  # a kernel over in/groups channels per output value
            multiply_adds += output.numel() * layer.weight[0].numel()
        elif isinstance(layer, nn.ConvTranspose2d):  # a kernel into out/groups channels per input value
            multiply_adds += inputs[0].numel() * layer.weight[0].numel()

    leaves = [m for layer in layers for m in layer.modules() if not list(m.children())]
    hooks = [m.register_forward_hook(count) for m in leaves]
    with torch.no_grad():
        nn.Sequential(*layers)(torch.zeros(1, latent_dim))
    for hook in hooks:
        hook.remove()
    return peak, multiply_adds


@pytest.mark.parametrize("family", sorted(TINY_CONFIGS))
def test_the_cost_of_every_family_matches_a_real_forward_pass(family):
    model = tiny_model(family)
    cost = decode_cost(model.decoder_layers(), model.latent_dim)
    assert (cost.peak_activation, cost.multiply_adds) == measured(model.decoder_layers(), model.latent_dim)


@pytest.mark.parametrize(("family", "config"), tiny_colour_models())
def test_the_cost_at_64x64_colour_with_a_third_stage_matches_a_real_forward_pass(family, config):
    torch.manual_seed(0)
    model = build_model(family, config).eval()
    layers = model.decoder_layers()
    assert sum(isinstance(m, nn.ConvTranspose2d) for layer in layers for m in layer.modules()) == 3
    cost = decode_cost(layers, model.latent_dim)
    assert (cost.peak_activation, cost.multiply_adds) == measured(layers, model.latent_dim)


def test_convolutions_with_strides_dilations_groups_and_upsampling_are_followed():
    layers = [nn.Linear(4, 8 * 5 * 5), nn.Unflatten(1, (8, 5, 5)),
              nn.ConvTranspose2d(8, 6, 3, stride=2, padding=1, output_padding=1, dilation=1, groups=2),
              nn.Upsample(scale_factor=2), nn.Conv2d(6, 3, 3, stride=1, padding=2, dilation=2, groups=3),
              nn.Flatten(), nn.Linear(3 * 20 * 20, 5)]
    cost = decode_cost(layers, 4)
    assert (cost.peak_activation, cost.multiply_adds) == measured(layers, 4)
