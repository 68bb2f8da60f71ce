"""EBGAN (Zhao, Mathieu & LeCun 2016, "Energy-based generative adversarial network").

The discriminator is an autoencoder whose reconstruction error is an energy: low on data, pushed
up to a margin on generated images. The generator is the DCGAN one and is all a run ships.
"""

from __future__ import annotations

import torch
from torch import nn

from gen_core.models.dcgan import DCGAN, DCGANConfig, init_dcgan_weights
from gen_core.models.registry import register


class AutoencoderDiscriminator(nn.Module):
    """Images ``[B, C, H, W]`` in [-1, 1] -> energies ``[B]``, each image's mean squared
    reconstruction error (Zhao et al., eq. 4 with the MSE of their experiments).

    ``forward(x, with_features=True)`` also returns the encoder's codes ``[B, F]``, where the
    pull-away term measures how alike a batch of generated images is.
    """

    def __init__(self, cfg: DCGANConfig) -> None:
        super().__init__()
        c, d = cfg.image_shape[0], cfg.ndf
        self.encoder = nn.Sequential(
            nn.Conv2d(c, d, 4, 2, 1), nn.LeakyReLU(0.2, True),  # ndf x H/2 x W/2
            nn.Conv2d(d, 2 * d, 4, 2, 1, bias=False),
            nn.BatchNorm2d(2 * d), nn.LeakyReLU(0.2, True),  # (ndf*2) x H/4 x W/4
        )
        self.decoder = nn.Sequential(
            nn.ConvTranspose2d(2 * d, d, 4, 2, 1, bias=False),
            nn.BatchNorm2d(d), nn.ReLU(True),  # ndf x H/2 x W/2
            nn.ConvTranspose2d(d, c, 4, 2, 1), nn.Tanh(),  # C x H x W, the images' range
        )
        self.apply(init_dcgan_weights)

    def forward(self, x: torch.Tensor, with_features: bool = False):
        code = self.encoder(x)
        energy = (self.decoder(code) - x).pow(2).flatten(1).mean(1)
        return (energy, code.flatten(1)) if with_features else energy


@register
class EBGAN(DCGAN):
    """The EBGAN generator; ``build_discriminator`` gives the autoencoder it trains against."""

    family = "ebgan"
    kind_name = "EBGAN"

    def build_discriminator(self) -> AutoencoderDiscriminator:
        return AutoencoderDiscriminator(self.config)
