"""EBGAN (Zhao, Mathieu & LeCun 2016, "Energy-based generative adversarial network").

The discriminator is an autoencoder whose reconstruction error is an energy: low on data, pushed
up to a margin on generated images. The generator is the DCGAN one and is all a run ships.
"""

from __future__ import annotations

import itertools
import math

import torch
from torch import nn

from gen_core.models.conv_stages import conv_stages
from gen_core.models.dcgan import DCGAN, DCGANConfig
from gen_core.models.registry import register


class AutoencoderDiscriminator(nn.Module):
    """Images ``[B, C, H, W]`` in [-1, 1] -> energies ``[B]``, each image's mean squared
    reconstruction error (Zhao et al., eq. 4 with the MSE of their experiments).

    ``forward(x, with_features=True)`` also returns the bottleneck codes ``[B, code_dim]``, where
    the pull-away term measures how alike a batch of generated images is.

    The bottleneck is what makes the energy mean something: an autoencoder as wide as its input
    reconstructs any image, noise included, so it can only raise a generated image's energy by
    learning to fail on it, and the generator gets no pull toward the data. Squeezed through
    ``code_dim`` numbers it reconstructs what it was trained on and little else. Without batch
    norm around the bottleneck the autoencoder learned so slowly that the generator collapsed onto
    one image it reproduced well (every code alike, the pull-away term at its maximum of 1); with
    it, digits formed within an epoch.
    """

    code_dim = 32

    def __init__(self, cfg: DCGANConfig) -> None:
        super().__init__()
        c = cfg.image_shape[0]
        stages = conv_stages(cfg.image_shape)
        widths = stages.widths(cfg.ndf)  # channels of each stage, from the picture inwards
        features = (widths[-1], stages.base_height, stages.base_width)
        encoder: list[nn.Module] = []
        for c_in, c_out in itertools.pairwise([c, *widths]):
            encoder += [nn.Conv2d(c_in, c_out, 4, 2, 1), nn.LeakyReLU(0.2, True)]  # c_out x half the side
        self.encoder = nn.Sequential(*encoder, nn.Flatten(), nn.Linear(math.prod(features), self.code_dim))
        decoder: list[nn.Module] = [
            nn.BatchNorm1d(self.code_dim), nn.ReLU(True),
            nn.Linear(self.code_dim, math.prod(features)), nn.BatchNorm1d(math.prod(features)), nn.ReLU(True),
            nn.Unflatten(1, features),
        ]
        for c_in, c_out in itertools.pairwise(reversed(widths)):
            decoder += [nn.ConvTranspose2d(c_in, c_out, 4, 2, 1), nn.BatchNorm2d(c_out),
                        nn.ReLU(True)]  # c_out x twice the side
        self.decoder = nn.Sequential(*decoder, nn.ConvTranspose2d(widths[0], c, 4, 2, 1),
                                     nn.Tanh())  # C x H x W, the images' range
        # torch's default (Kaiming-uniform) initialization, not DCGAN's N(0, 0.02): the encoder has
        # no batch norm to rescale them, and such small weights left it all but untrained.

    def forward(self, x: torch.Tensor, with_features: bool = False):
        code = self.encoder(x)
        energy = (self.decoder(code) - x).pow(2).flatten(1).mean(1)
        return (energy, code) if with_features else energy


@register
class EBGAN(DCGAN):
    """The EBGAN generator; ``build_discriminator`` gives the autoencoder it trains against."""

    family = "ebgan"
    kind_name = "EBGAN"

    def build_discriminator(self) -> AutoencoderDiscriminator:
        return AutoencoderDiscriminator(self.config)
