"""The number of stride-2 stages follows the picture size: one rule for every conv net, the 28x28
layouts every shipped checkpoint holds unchanged, and 64x64 colour nets with a third stage."""

from __future__ import annotations

import dataclasses

import pytest
import torch
from torch import nn

from gen_core.models import EncoderModel, build_model
from gen_core.models.conv_stages import ConvStages, conv_stages
from gen_core.models.dcgan import conv_body
from gen_core.train import cli
from tests.conftest import COLOUR_SHAPE, tiny_colour_models

# State-dict keys and shapes of the presets' conv nets at 28x28, as the shipped checkpoints hold
# them (recorded before the stage count followed the picture size).
RECORDED_28X28 = {
    "vae-conv": {
        "encoder.0.weight": (32, 1, 4, 4), "encoder.0.bias": (32,), "encoder.2.weight": (64, 32, 4, 4),
        "encoder.2.bias": (64,), "encoder.5.weight": (256, 3136), "encoder.5.bias": (256,),
        "to_stats.weight": (40, 256), "to_stats.bias": (40,), "decoder.0.weight": (256, 20),
        "decoder.0.bias": (256,), "decoder.2.weight": (3136, 256), "decoder.2.bias": (3136,),
        "decoder.5.weight": (64, 32, 4, 4), "decoder.5.bias": (32,), "decoder.7.weight": (32, 1, 4, 4),
        "decoder.7.bias": (1,),
    },
    "mrgan": {  # the DCGAN generator, and an encoder that is the discriminator's body (layer norm)
        "generator.net.0.weight": (6272, 64), "generator.net.2.weight": (128,),
        "generator.net.2.bias": (128,), "generator.net.2.running_mean": (128,),
        "generator.net.2.running_var": (128,), "generator.net.2.num_batches_tracked": (),
        "generator.net.4.weight": (128, 64, 4, 4), "generator.net.5.weight": (64,),
        "generator.net.5.bias": (64,), "generator.net.5.running_mean": (64,),
        "generator.net.5.running_var": (64,), "generator.net.5.num_batches_tracked": (),
        "generator.net.7.weight": (64, 1, 4, 4), "generator.net.7.bias": (1,),
        "encoder.0.weight": (32, 1, 4, 4), "encoder.0.bias": (32,), "encoder.2.weight": (64, 32, 4, 4),
        "encoder.2.bias": (64,), "encoder.3.weight": (64,), "encoder.3.bias": (64,),
        "to_code.weight": (64, 3136), "to_code.bias": (64,),
    },
    "dcgan discriminator": {  # the body with batch norm
        "features.0.weight": (32, 1, 4, 4), "features.0.bias": (32,), "features.2.weight": (64, 32, 4, 4),
        "features.3.weight": (64,), "features.3.bias": (64,), "features.3.running_mean": (64,),
        "features.3.running_var": (64,), "features.3.num_batches_tracked": (), "head.weight": (1, 3136),
        "head.bias": (1,),
    },
    "ebgan discriminator": {
        "encoder.0.weight": (32, 1, 4, 4), "encoder.0.bias": (32,), "encoder.2.weight": (64, 32, 4, 4),
        "encoder.2.bias": (64,), "encoder.5.weight": (32, 3136), "encoder.5.bias": (32,),
        "decoder.0.weight": (32,), "decoder.0.bias": (32,), "decoder.0.running_mean": (32,),
        "decoder.0.running_var": (32,), "decoder.0.num_batches_tracked": (), "decoder.2.weight": (3136, 32),
        "decoder.2.bias": (3136,), "decoder.3.weight": (3136,), "decoder.3.bias": (3136,),
        "decoder.3.running_mean": (3136,), "decoder.3.running_var": (3136,),
        "decoder.3.num_batches_tracked": (), "decoder.6.weight": (64, 32, 4, 4), "decoder.6.bias": (32,),
        "decoder.7.weight": (32,), "decoder.7.bias": (32,), "decoder.7.running_mean": (32,),
        "decoder.7.running_var": (32,), "decoder.7.num_batches_tracked": (),
        "decoder.9.weight": (32, 1, 4, 4), "decoder.9.bias": (1,),
    },
}


def preset_model(name: str, image_shape: tuple[int, int, int] = (1, 28, 28)):
    family, config, *_ = cli.PRESETS[name]
    torch.manual_seed(0)
    return build_model(family, dataclasses.replace(config, image_shape=image_shape))


def shapes(module: nn.Module) -> dict[str, tuple[int, ...]]:
    return {key: tuple(value.shape) for key, value in module.state_dict().items()}


def parameters(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


@pytest.mark.parametrize(("image_shape", "expected"), [
    ((1, 28, 28), ConvStages(2, 7, 7)),
    ((3, 32, 32), ConvStages(2, 8, 8)),
    ((1, 8, 8), ConvStages(2, 2, 2)),
    ((1, 36, 36), ConvStages(2, 9, 9)),  # 9 is odd: it cannot halve
    ((3, 40, 40), ConvStages(3, 5, 5)),
    (COLOUR_SHAPE, ConvStages(3, 8, 8)),
    ((3, 128, 128), ConvStages(4, 8, 8)),
    ((3, 64, 28), ConvStages(2, 16, 7)),  # both sides must take the extra stage
])
def test_two_stages_then_one_more_while_both_sides_are_above_8_and_even(image_shape, expected):
    assert conv_stages(image_shape) == expected


@pytest.mark.parametrize("name", sorted(RECORDED_28X28))
def test_the_28x28_layouts_of_the_shipped_checkpoints_are_unchanged(name):
    preset, _, net = name.partition(" ")
    model = preset_model(preset)
    assert shapes(model.build_discriminator() if net else model) == RECORDED_28X28[name]


def test_the_conv_vae_preset_at_64x64_colour_has_three_stages_to_an_8x8_base():
    model = preset_model("vae-conv", COLOUR_SHAPE)
    convs = [m for m in model.encoder if isinstance(m, nn.Conv2d)]
    up = [m for m in model.decoder if isinstance(m, nn.ConvTranspose2d)]
    assert [m.out_channels for m in convs] == [32, 64, 128] and [m.out_channels for m in up] == [64, 32, 3]
    assert shapes(model)["encoder.7.weight"] == (256, 128 * 8 * 8)
    assert shapes(model)["decoder.2.weight"] == (128 * 8 * 8, 256)
    # Two stages would keep a 16x16 base: 8,489,643 parameters, mostly the two dense layers.
    assert parameters(model) == 4_549_483
    with torch.no_grad():
        assert model.encode(torch.rand(2, *COLOUR_SHAPE)).mean.shape == (2, 20)
        assert model.decode(torch.zeros(2, 20)).shape == (2, *COLOUR_SHAPE)


def test_the_dcgan_preset_at_64x64_colour_has_three_stages_each_way():
    model = preset_model("dcgan", COLOUR_SHAPE).eval()
    up = [m for m in model.generator.net if isinstance(m, nn.ConvTranspose2d)]
    assert [(m.in_channels, m.out_channels) for m in up] == [(256, 128), (128, 64), (64, 3)]
    assert shapes(model)["generator.net.0.weight"] == (256 * 8 * 8, 64)
    assert parameters(model) == 1_707_907  # two stages: 2,231,683
    discriminator = model.build_discriminator().eval()
    convs = [m for m in discriminator.features if isinstance(m, nn.Conv2d)]
    assert [m.out_channels for m in convs] == [32, 64, 128]
    assert discriminator.feature_width == 128 * 8 * 8 and parameters(discriminator) == 173_985
    with torch.no_grad():
        images = model.decode(torch.zeros(2, 64))
        scores, features = discriminator(images * 2 - 1, with_features=True)
    assert images.shape == (2, *COLOUR_SHAPE) and scores.shape == (2,) and features.shape == (2, 128 * 8 * 8)


@pytest.mark.parametrize(("norm", "layer"), [("batch", nn.BatchNorm2d), ("layer", nn.GroupNorm),
                                           ("none", nn.Identity)])
def test_the_conv_body_normalizes_every_stage_after_the_first(norm, layer):
    body, width = conv_body(COLOUR_SHAPE, 4, norm)
    assert width == 16 * 8 * 8
    assert len(body) == 2 + 2 * 3 + 1  # the first stage, two normalized ones, the flatten
    assert [type(body[i]) for i in (3, 6)] == [layer, layer]
    assert body(torch.zeros(2, *COLOUR_SHAPE)).shape == (2, width)


@pytest.mark.parametrize(("family", "config"), tiny_colour_models())
def test_every_conv_family_runs_at_64x64_colour(family, config):
    torch.manual_seed(0)
    model = build_model(family, config).eval()
    with torch.no_grad():
        assert model.sample(2, torch.Generator().manual_seed(0)).shape == (2, *COLOUR_SHAPE)
        if isinstance(model, EncoderModel):
            assert model.encode(torch.rand(2, *COLOUR_SHAPE)).mean.shape == (2, model.latent_dim)
        if family == "ebgan":
            assert model.build_discriminator().eval()(torch.zeros(2, *COLOUR_SHAPE)).shape == (2,)
