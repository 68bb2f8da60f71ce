"""DCGAN (Radford et al. 2016) sized for small images, 28x28 MNIST to 64x64 colour emoji: the
number of stride-2 stages follows the picture size (``gen_core.models.conv_stages``).

Only the generator is the shipped model; the discriminator exists during training. The other GAN
families (WGAN, WGAN-GP, SN-GAN, InfoGAN) reuse both networks and change the discriminator's
normalization, its optional minibatch-discrimination layer, or the generator's input.
"""

from __future__ import annotations

import dataclasses
import itertools
from typing import ClassVar

import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from gen_core.models.base import GenerativeModel, LatentDim, ScaleShift, gaussian_spec
from gen_core.models.conv_stages import conv_stages
from gen_core.models.registry import register

DISCRIMINATOR_NORMS = ("batch", "layer", "none")


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
    """Generator input ``[B, in_features]`` -> tanh images ``[B, C, H, W]`` in [-1, 1].

    A dense layer to ``ngf * 2^stages`` channels on the base grid of ``conv_stages``, then one
    transposed convolution per stage, each doubling the side and halving the channels, the last
    to C (two stages: 4 ngf -> 2 ngf -> C, H/4 -> H/2 -> H). ``hidden`` puts a dense layer of
    that width (batch norm, ReLU) before the first.
    """

    def __init__(self, cfg: DCGANConfig, in_features: int | None = None, hidden: int = 0) -> None:
        super().__init__()
        c = cfg.image_shape[0]
        stages = conv_stages(cfg.image_shape)
        widths = stages.widths(2 * cfg.ngf)  # channels of the hidden stages, from the picture inwards
        in_features = in_features or cfg.latent_dim
        layers = []
        if hidden:  # a dense layer before the grid, as InfoGAN's generator has (Chen et al. C.1)
            layers += [nn.Linear(in_features, hidden, bias=False), nn.BatchNorm1d(hidden), nn.ReLU(True)]
            in_features = hidden
        layers += [
            nn.Linear(in_features, widths[-1] * stages.base_pixels, bias=False),
            nn.Unflatten(1, (widths[-1], stages.base_height, stages.base_width)),
            nn.BatchNorm2d(widths[-1]), nn.ReLU(True),  # (ngf * 2^stages) x base grid
        ]
        for c_in, c_out in itertools.pairwise(reversed(widths)):
            layers += [nn.ConvTranspose2d(c_in, c_out, 4, 2, 1, bias=False),
                       nn.BatchNorm2d(c_out), nn.ReLU(True)]  # c_out x twice the side
        layers += [nn.ConvTranspose2d(widths[0], c, 4, 2, 1), nn.Tanh()]  # C x H x W
        self.net = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z)


class MinibatchDiscrimination(nn.Module):
    """Features ``[B, A]`` -> closeness to the rest of the batch ``[B, kernels]``.

    Salimans et al. 2016, sec. 3.2: each sample's features are projected to ``kernels`` rows of
    ``kernel_dim``; o(x_i)_b = sum_j exp(-||M_i,b - M_j,b||_1) over the other samples j lets the
    discriminator see a batch of near-identical samples, the signature of mode collapse.
    """

    def __init__(self, in_features: int, kernels: int = 100, kernel_dim: int = 5) -> None:
        super().__init__()
        self.kernels, self.kernel_dim = kernels, kernel_dim
        self.projection = nn.Parameter(torch.randn(in_features, kernels * kernel_dim) * 0.02)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        rows = (features @ self.projection).view(-1, self.kernels, self.kernel_dim)  # [B, K, C]
        l1 = (rows.unsqueeze(0) - rows.unsqueeze(1)).abs().sum(3)  # [B, B, K]
        return torch.exp(-l1).sum(0) - 1  # minus exp(0) = 1: a sample's distance to itself


def _norm_layer(norm: str, channels: int) -> nn.Module:
    if norm == "batch":
        return nn.BatchNorm2d(channels)
    if norm == "layer":
        # One group normalizes each sample over (C, H, W): layer normalization (Ba et al. 2016),
        # which WGAN-GP needs because batch norm makes the gradient penalty depend on the batch.
        return nn.GroupNorm(1, channels)
    return nn.Identity()


def _dense_norm_layer(norm: str, features: int) -> nn.Module:
    """``_norm_layer`` for a dense layer's output ``[B, features]``."""
    return {"batch": nn.BatchNorm1d, "layer": nn.LayerNorm}.get(norm, lambda _: nn.Identity())(features)


def conv_body(image_shape: tuple[int, int, int], width: int, norm: str) -> tuple[nn.Sequential, int]:
    """The discriminator's body: images ``[B, C, H, W]`` -> features ``[B, F]``, and ``F``.

    One stride-2 stage per ``conv_stages`` of ``width``, ``2 * width``, ``4 * width``, … channels
    with leaky ReLUs, every stage after the first normalized by ``norm``; F = channels of the last
    stage times its base grid (two stages: 2 * width * (H / 4) * (W / 4)). An encoder may reuse it
    with a head of its own.
    """
    stages = conv_stages(image_shape)
    widths = stages.widths(width)
    layers = [nn.Conv2d(image_shape[0], width, 4, 2, 1), nn.LeakyReLU(0.2, True)]  # width x H/2 x W/2
    for c_in, c_out in itertools.pairwise(widths):
        layers += [nn.Conv2d(c_in, c_out, 4, 2, 1, bias=norm != "batch"),
                   _norm_layer(norm, c_out), nn.LeakyReLU(0.2, True)]  # c_out x half the side
    layers.append(nn.Flatten())
    return nn.Sequential(*layers), widths[-1] * stages.base_pixels


class Discriminator(nn.Module):
    """Images ``[B, C, H, W]`` in [-1, 1] -> one score per image ``[B]`` (a logit or a critic value).

    ``forward(x, with_features=True)`` also returns the body's features ``[B, feature_width]``,
    the intermediate layer used by feature matching and InfoGAN's Q head.
    """

    def __init__(self, cfg: DCGANConfig, norm: str = "batch", spectral: bool = False,
                 minibatch_discrimination: bool = False, hidden: int = 0) -> None:
        super().__init__()
        if norm not in DISCRIMINATOR_NORMS:
            raise ValueError(f"discriminator norm must be one of {DISCRIMINATOR_NORMS}, got {norm!r}")
        self.features, self.feature_width = conv_body(cfg.image_shape, cfg.ndf, norm)
        if hidden:  # a dense layer after the conv body, as InfoGAN's discriminator has (Chen et al. C.1)
            self.features.extend([nn.Linear(self.feature_width, hidden), _dense_norm_layer(norm, hidden),
                                  nn.LeakyReLU(0.2, True)])
            self.feature_width = hidden
        self.minibatch = MinibatchDiscrimination(self.feature_width) if minibatch_discrimination else None
        extra = self.minibatch.kernels if self.minibatch else 0
        self.head = nn.Linear(self.feature_width + extra, 1)
        self.apply(init_dcgan_weights)
        if spectral:  # after the init: a parametrized weight can no longer be set in place
            apply_spectral_norm(self)

    def forward(self, x: torch.Tensor, with_features: bool = False):
        features = self.features(x)
        inputs = torch.cat([features, self.minibatch(features)], 1) if self.minibatch else features
        scores = self.head(inputs).squeeze(1)
        return (scores, features) if with_features else scores


def apply_spectral_norm(module: nn.Module) -> nn.Module:
    """Divide every conv/linear weight by its largest singular value (Miyato et al. 2018)."""
    for layer in list(module.modules()):
        if isinstance(layer, (nn.Conv2d, nn.Linear)):
            spectral_norm(layer)
    return module


def init_dcgan_weights(module: nn.Module) -> None:
    """N(0, 0.02) convolutions and N(1, 0.02) batch-norm scales, as in the DCGAN paper."""
    if getattr(module, "weight", None) is not None and module.weight.is_meta:
        # Built on the meta device only to read its shapes: there are no values to draw, and
        # torch's meta normal_ imports its compiler stack (about 1 s) on first use.
        return
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
    kind_name = "DCGAN"
    config_class = DCGANConfig
    discriminator_norm: ClassVar[str] = "batch"
    spectral_discriminator: ClassVar[bool] = False

    def __init__(self, config: DCGANConfig) -> None:
        super().__init__(config)
        self.generator = Generator(config, self.generator_width, self.generator_hidden)
        self.generator.apply(init_dcgan_weights)

    @property
    def generator_width(self) -> int:
        """Columns of the generator's input (the latent as the network sees it)."""
        return self.config.latent_dim

    @property
    def latent_spec(self) -> list[LatentDim]:
        return gaussian_spec(self.config.latent_dim)

    def generator_input(self, z: torch.Tensor) -> torch.Tensor:
        """Latents ``[B, D]`` -> generator input ``[B, generator_width]``; the identity here."""
        return z

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return (self.generator(self.generator_input(z)) + 1) / 2

    def input_layers(self) -> list[nn.Module]:
        """``generator_input`` as modules (none here: the latent is the generator's input)."""
        return []

    def decoder_layers(self) -> list[nn.Module]:
        return [*self.input_layers(), *self.generator.net, ScaleShift(0.5, 0.5)]  # tanh -> [0, 1]

    @property
    def generator_hidden(self) -> int:
        """Width of the generator's dense layer before its first grid; 0 for none."""
        return 0

    @property
    def discriminator_hidden(self) -> int:
        """Width of the discriminator's dense layer after its conv body; 0 for none."""
        return 0

    def build_discriminator(self, minibatch_discrimination: bool = False) -> Discriminator:
        return Discriminator(self.config, self.discriminator_norm, self.spectral_discriminator,
                             minibatch_discrimination, self.discriminator_hidden)
