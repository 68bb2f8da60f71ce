"""VAE-GAN (Larsen, Sønderby, Larochelle & Winther 2016, "Autoencoding beyond pixels using a
learned similarity metric").

A VAE whose decoder is also a GAN generator, and whose reconstruction error is measured in the
features of the GAN's discriminator rather than in pixels: sharp samples and an encoder. The
encoder is the conv VAE's; the decoder is the DCGAN generator, so decoding, sampling and export
are DCGAN's. The discriminator exists during training only.
"""

from __future__ import annotations

import dataclasses

import torch
from torch import nn

from gen_core.models.base import EncoderModel
from gen_core.models.dcgan import DCGAN
from gen_core.models.posterior import DiagonalGaussian
from gen_core.models.registry import register
from gen_core.models.vae import conv_encoder


@dataclasses.dataclass(frozen=True)
class VAEGANConfig:
    latent_dim: int = 32
    encoder_hidden: tuple[int, ...] = (32, 64, 256)  # as VAEConfig.hidden of the conv VAE
    ngf: int = 32  # generator (decoder) width, as in DCGANConfig
    ndf: int = 32  # discriminator width
    image_shape: tuple[int, int, int] = (1, 28, 28)

    def __post_init__(self) -> None:
        if self.latent_dim < 1 or len(self.encoder_hidden) < 2:
            raise ValueError("VAE-GAN needs latent_dim >= 1 and at least two encoder widths")
        if any(s % 4 for s in self.image_shape[1:]):
            raise ValueError(f"VAE-GAN needs H and W divisible by 4, got {self.image_shape}")


@register
class VAEGAN(EncoderModel, DCGAN):
    """Encoder ``[B, C, H, W] -> (mu, logvar)`` plus the DCGAN generator as the decoder."""

    family = "vae-gan"
    kind_name = "VAE-GAN"
    config_class = VAEGANConfig
    # Per-image normalization: Dis_l(x), the target of the reconstruction loss, must not depend on
    # the other images of a batch, as batch norm would make it.
    discriminator_norm = "layer"

    def __init__(self, config: VAEGANConfig) -> None:
        super().__init__(config)
        self.encoder, dense = conv_encoder(config.image_shape, config.encoder_hidden)
        self.to_stats = nn.Linear(dense, 2 * config.latent_dim)

    def encode(self, x: torch.Tensor) -> DiagonalGaussian:
        """Images ``[B, C, H, W]`` in [0, 1] -> q(z | x) over ``[B, D]``."""
        return DiagonalGaussian.from_stats(self.to_stats(self.encoder(x)))
