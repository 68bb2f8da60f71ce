"""Adversarial autoencoders (Makhzani, Shlens, Jaitly, Goodfellow & Frey 2015).

An autoencoder whose aggregated posterior q(z) is matched to a prior p(z) by a GAN on codes: a
discriminator tells prior draws from the encoder's codes and the encoder learns to fool it. The
decoder then maps any prior draw to an image. Encoder and decoder are the conv VAE's nets; the
code discriminator exists during training only.
"""

from __future__ import annotations

import dataclasses

import torch
from torch import nn

from gen_core.models.base import EncoderModel, LatentDim, gaussian_spec
from gen_core.models.posterior import DiagonalGaussian
from gen_core.models.registry import register
from gen_core.models.vae import BernoulliDecoder, conv_decoder, conv_encoder

AAE_POSTERIORS = ("deterministic", "gaussian")  # q(z|x) of Makhzani et al., sec. 2
AAE_PRIORS = ("gaussian", "uniform")  # N(0, I), or U[-1, 1] in every dimension


@dataclasses.dataclass(frozen=True)
class AAEConfig:
    latent_dim: int = 8  # few dimensions: the code GAN matches q(z) to p(z) more easily, maps read well
    hidden: tuple[int, ...] = (32, 64, 256)  # as VAEConfig.hidden of the conv VAE
    posterior: str = "deterministic"
    prior: str = "gaussian"
    discriminator_width: int = 512  # units of each of the code discriminator's two hidden layers
    image_shape: tuple[int, int, int] = (1, 28, 28)

    def __post_init__(self) -> None:
        if self.posterior not in AAE_POSTERIORS:
            raise ValueError(f"AAE posterior must be one of {AAE_POSTERIORS}, got {self.posterior!r}")
        if self.prior not in AAE_PRIORS:
            raise ValueError(f"AAE prior must be one of {AAE_PRIORS}, got {self.prior!r}")
        if self.latent_dim < 1 or len(self.hidden) < 2:
            raise ValueError("AAE needs latent_dim >= 1 and at least two conv widths")
        if any(s % 4 for s in self.image_shape[1:]):
            raise ValueError(f"AAE needs H and W divisible by 4, got {self.image_shape}")


class CodeDiscriminator(nn.Module):
    """Codes ``[B, D]`` -> logits ``[B]`` that each code was drawn from the prior (an MLP)."""

    def __init__(self, latent_dim: int, width: int) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(latent_dim, width), nn.LeakyReLU(0.2, True),
            nn.Linear(width, width), nn.LeakyReLU(0.2, True),
            nn.Linear(width, 1),
        )

    def forward(self, codes: torch.Tensor) -> torch.Tensor:
        return self.net(codes).squeeze(1)


@register
class AAE(BernoulliDecoder, EncoderModel):
    """Encoder ``[B, C, H, W] -> code [B, D]``, decoder ``[B, D] -> [B, C, H, W]`` (Bernoulli means)."""

    family = "aae"
    kind_name = "AAE"
    config_class = AAEConfig

    def __init__(self, config: AAEConfig) -> None:
        super().__init__(config)
        self.encoder, dense = conv_encoder(config.image_shape, config.hidden)
        outputs = 2 * config.latent_dim if config.posterior == "gaussian" else config.latent_dim
        self.to_code = nn.Linear(dense, outputs)
        self.decoder = conv_decoder(config.latent_dim, config.image_shape, config.hidden)

    @property
    def latent_spec(self) -> list[LatentDim]:
        if self.config.prior == "uniform":
            return [LatentDim(f"z{i}", "uniform", -1.0, 1.0) for i in range(self.config.latent_dim)]
        return gaussian_spec(self.config.latent_dim)

    @property
    def codes_are_points(self) -> bool:
        return self.config.posterior != "gaussian"

    def encode(self, x: torch.Tensor) -> DiagonalGaussian:
        """Images ``[B, C, H, W]`` in [0, 1] -> q(z | x) over ``[B, D]``: a Gaussian posterior, or
        a deterministic encoder's code as ``DiagonalGaussian.point``."""
        out = self.to_code(self.encoder(x))
        if self.config.posterior == "gaussian":
            return DiagonalGaussian.from_stats(out)
        return DiagonalGaussian.point(out)

    def code(self, x: torch.Tensor) -> torch.Tensor:
        """Images ``[B, C, H, W]`` -> codes ``[B, D]`` drawn from q(z|x): what the decoder
        reconstructs from and the discriminator judges."""
        posterior = self.encode(x)
        return posterior.sample() if self.config.posterior == "gaussian" else posterior.mean

    def build_discriminator(self) -> CodeDiscriminator:
        return CodeDiscriminator(self.config.latent_dim, self.config.discriminator_width)
