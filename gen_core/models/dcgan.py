"""DCGAN (Radford et al. 2016) sized for small grayscale images such as 28x28 MNIST.

Only the generator is the shipped model; the discriminator exists during training.
"""

from __future__ import annotations

import dataclasses

import torch
from torch import nn

from gen_core.models.base import GenerativeModel, LatentDim, gaussian_spec
from gen_core.models.registry import register


@dataclasses.dataclass(frozen=True)
class DCGANConfig:
    latent_dim: int = 64
    ngf: int = 32  # generator width: channels of the last hidden stage
    ndf: int = 32  # discriminator width: channels of the first stage
    image_shape: tuple[int, int, int] = (1, 28, 28)

    def __post_init__(self) -> None:
        if any(s % 4 for s in self.image_shape[1:]):
            raise ValueError(f"DCGAN needs H and W divisible by 4, got {self.image_shape}")


class Generator(nn.Module):
    """z ``[B, D]`` -> tanh images ``[B, C, H, W]`` in [-1, 1]."""

    def __init__(self, cfg: DCGANConfig) -> None:
        super().__init__()
        c, h, w = cfg.image_shape
        g = cfg.ngf
        self.net = nn.Sequential(
            nn.Linear(cfg.latent_dim, 4 * g * (h // 4) * (w // 4), bias=False),
            nn.Unflatten(1, (4 * g, h // 4, w // 4)),
            nn.BatchNorm2d(4 * g), nn.ReLU(True),  # (ngf*4) x H/4 x W/4
            nn.ConvTranspose2d(4 * g, 2 * g, 4, 2, 1, bias=False),
            nn.BatchNorm2d(2 * g), nn.ReLU(True),  # (ngf*2) x H/2 x W/2
            nn.ConvTranspose2d(2 * g, c, 4, 2, 1), nn.Tanh(),  # C x H x W
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z)


class Discriminator(nn.Module):
    """Images ``[B, C, H, W]`` in [-1, 1] -> one logit per image ``[B]``."""

    def __init__(self, cfg: DCGANConfig) -> None:
        super().__init__()
        c, h, w = cfg.image_shape
        d = cfg.ndf
        self.features = nn.Sequential(
            nn.Conv2d(c, d, 4, 2, 1), nn.LeakyReLU(0.2, True),  # ndf x H/2 x W/2
            nn.Conv2d(d, 2 * d, 4, 2, 1, bias=False),
            nn.BatchNorm2d(2 * d), nn.LeakyReLU(0.2, True),  # (ndf*2) x H/4 x W/4
            nn.Flatten(),
        )
        self.head = nn.Linear(2 * d * (h // 4) * (w // 4), 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x)).squeeze(1)


def init_dcgan_weights(module: nn.Module) -> None:
    """N(0, 0.02) convolutions and N(1, 0.02) batch-norm scales, as in the DCGAN paper."""
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
        nn.init.normal_(module.weight, 0.0, 0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.BatchNorm2d):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


@register
class DCGAN(GenerativeModel):
    """The generator of a DCGAN as a ``GenerativeModel``; ``build_discriminator`` pairs it for training."""

    family = "dcgan"
    config_class = DCGANConfig

    def __init__(self, config: DCGANConfig) -> None:
        super().__init__(config)
        self.generator = Generator(config)
        self.generator.apply(init_dcgan_weights)

    @property
    def latent_spec(self) -> list[LatentDim]:
        return gaussian_spec(self.config.latent_dim)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return (self.generator(z) + 1) / 2

    def build_discriminator(self) -> Discriminator:
        disc = Discriminator(self.config)
        disc.apply(init_dcgan_weights)
        return disc
