"""Variational autoencoders (Kingma & Welling 2014) with a Bernoulli pixel likelihood.

beta > 1 gives the beta-VAE of Higgins et al. 2017. Losses are reported per image in nats:
binary cross-entropy summed over pixels plus the KL term, the definition used by pytorch/examples.
"""

from __future__ import annotations

import dataclasses
import itertools
import math

import torch
import torch.nn.functional as F
from torch import nn

from gen_core.models.base import EncoderModel, LatentDim, gaussian_spec
from gen_core.models.conv_stages import ConvStages, conv_stages
from gen_core.models.posterior import DiagonalGaussian, normal_log_density
from gen_core.models.registry import register

VAE_ARCHS = ("mlp", "conv")


@dataclasses.dataclass(frozen=True)
class VAEConfig:
    arch: str = "mlp"
    latent_dim: int = 20
    # mlp: layer widths; conv: channels of the first two stride-2 stages (later ones double), dense units
    hidden: tuple[int, ...] = (512, 256)
    beta: float = 1.0
    image_shape: tuple[int, int, int] = (1, 28, 28)

    def __post_init__(self) -> None:
        if self.arch not in VAE_ARCHS:
            raise ValueError(f"VAE arch must be one of {VAE_ARCHS}, got {self.arch!r}")
        if self.latent_dim < 1 or self.beta <= 0:
            raise ValueError("VAE needs latent_dim >= 1 and beta > 0")
        if self.arch == "conv" and any(s % 4 for s in self.image_shape[1:]):
            raise ValueError(f"conv VAE needs H and W divisible by 4, got {self.image_shape}")


def _mlp(widths: list[int]) -> nn.Sequential:
    layers: list[nn.Module] = []
    for w_in, w_out in itertools.pairwise(widths):
        layers += [nn.Linear(w_in, w_out), nn.ReLU()]
    return nn.Sequential(*layers)


class _MLPNets(nn.Module):
    def __init__(self, cfg: VAEConfig) -> None:
        super().__init__()
        pixels = cfg.image_shape[0] * cfg.image_shape[1] * cfg.image_shape[2]
        self.encoder = nn.Sequential(nn.Flatten(), _mlp([pixels, *cfg.hidden]))
        self.to_stats = nn.Linear(cfg.hidden[-1], 2 * cfg.latent_dim)
        self.decoder = nn.Sequential(
            _mlp([cfg.latent_dim, *reversed(cfg.hidden)]),
            nn.Linear(cfg.hidden[0], pixels),
            nn.Unflatten(1, cfg.image_shape),
        )


def _conv_layout(image_shape: tuple[int, int, int],
                 hidden: tuple[int, ...]) -> tuple[ConvStages, list[int], int]:
    """``hidden`` of a conv net for ``image_shape`` -> (its ``conv_stages``, the channels of each
    stage from the picture inwards, the dense units). The first two stages have ``hidden[0]`` and
    ``hidden[1]`` channels and any later one twice the one before; ``hidden[2]`` dense units, 256
    when absent."""
    stages = conv_stages(image_shape)
    dense = hidden[2] if len(hidden) > 2 else 256
    return stages, [hidden[0], *stages.widths(hidden[1])[:-1]], dense


def conv_encoder(image_shape: tuple[int, int, int], hidden: tuple[int, ...]) -> tuple[nn.Sequential, int]:
    """Images ``[B, C, H, W]`` -> features ``[B, dense]``, and ``dense``.

    One stride-2 stage per ``conv_stages`` (28x28 -> 14x14 -> 7x7; 64x64 -> 32 -> 16 -> 8) with
    the channels of ``_conv_layout``, then a dense layer of ``hidden[2]`` units.
    """
    stages, widths, dense = _conv_layout(image_shape, hidden)
    layers: list[nn.Module] = []
    for c_in, c_out in itertools.pairwise([image_shape[0], *widths]):
        layers += [nn.Conv2d(c_in, c_out, 4, 2, 1), nn.ReLU()]  # c_out x half the side
    layers += [nn.Flatten(), nn.Linear(widths[-1] * stages.base_pixels, dense), nn.ReLU()]
    return nn.Sequential(*layers), dense


def conv_decoder(latent_dim: int, image_shape: tuple[int, int, int],
                 hidden: tuple[int, ...]) -> nn.Sequential:
    """Latents ``[B, latent_dim]`` -> logits ``[B, C, H, W]``: ``conv_encoder`` mirrored."""
    stages, widths, dense = _conv_layout(image_shape, hidden)
    layers: list[nn.Module] = [
        nn.Linear(latent_dim, dense), nn.ReLU(),
        nn.Linear(dense, widths[-1] * stages.base_pixels), nn.ReLU(),
        nn.Unflatten(1, (widths[-1], stages.base_height, stages.base_width)),
    ]
    for c_in, c_out in itertools.pairwise(reversed(widths)):
        layers += [nn.ConvTranspose2d(c_in, c_out, 4, 2, 1), nn.ReLU()]  # c_out x twice the side
    layers.append(nn.ConvTranspose2d(widths[0], image_shape[0], 4, 2, 1))  # logits, C x H x W
    return nn.Sequential(*layers)


class _ConvNets(nn.Module):
    """Stride-2 stages each way (``conv_stages``): 28x28 -> 14x14 -> 7x7 and back."""

    def __init__(self, cfg: VAEConfig) -> None:
        super().__init__()
        self.encoder, dense = conv_encoder(cfg.image_shape, cfg.hidden)
        self.to_stats = nn.Linear(dense, 2 * cfg.latent_dim)
        self.decoder = conv_decoder(cfg.latent_dim, cfg.image_shape, cfg.hidden)


class BernoulliDecoder:
    """For models whose ``self.decoder`` maps latents to Bernoulli logits (VAE, AAE)."""

    decoder: nn.Module

    def decode_logits(self, z: torch.Tensor) -> torch.Tensor:
        """Latents ``[B, D]`` -> Bernoulli logits ``[B, C, H, W]``."""
        return self.decoder(z)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Latents ``[B, D]`` -> Bernoulli means ``[B, C, H, W]`` in [0, 1]."""
        return torch.sigmoid(self.decode_logits(z))

    def decoder_layers(self) -> list[nn.Module]:
        return [*self.decoder, nn.Sigmoid()]


@register
class VAE(BernoulliDecoder, EncoderModel):
    """Gaussian-posterior VAE; ``decode`` returns Bernoulli means, ``decode_logits`` their logits."""

    family = "vae"
    kind_name = "VAE"
    config_class = VAEConfig

    def __init__(self, config: VAEConfig) -> None:
        super().__init__(config)
        nets = _MLPNets(config) if config.arch == "mlp" else _ConvNets(config)
        self.encoder, self.to_stats, self.decoder = nets.encoder, nets.to_stats, nets.decoder

    @property
    def has_likelihood(self) -> bool:
        return True

    @property
    def title(self) -> str:
        return self.kind_name if self.config.beta == 1 else f"β-VAE (β={self.config.beta:g})"

    @property
    def latent_spec(self) -> list[LatentDim]:
        return gaussian_spec(self.config.latent_dim)

    def encode(self, x: torch.Tensor) -> DiagonalGaussian:
        """Images ``[B, C, H, W]`` -> q(z | x) over ``[B, D]``."""
        return DiagonalGaussian.from_stats(self.to_stats(self.encoder(x)))

    def forward(self, x: torch.Tensor, iwae_samples: int = 1) -> dict[str, torch.Tensor]:
        """The loss terms of ``loss`` (``iwae_samples`` = 1) or ``iwae_loss``; being ``forward``, it
        is what DDP wraps."""
        return self.loss(x) if iwae_samples == 1 else self.iwae_loss(x, iwae_samples)

    def log_importance_weights(self, x: torch.Tensor, k: int,
                               generator: torch.Generator | None = None) -> torch.Tensor:
        """log p(x, z_i) - log q(z_i | x) for ``k`` draws z_i ~ q(z | x): ``[B, C, H, W]`` -> ``[B, k]``.

        Differentiable (reparameterized draws), so it serves both the IWAE bound and its training.
        """
        posterior = self.encode(x)
        z = posterior.sample(generator, k)  # [B, k, D]
        logits = self.decode_logits(z.flatten(0, 1))  # [B*k, C, H, W]
        targets = x.unsqueeze(1).expand(-1, k, *x.shape[1:]).flatten(0, 1)
        log_px_z = -F.binary_cross_entropy_with_logits(logits, targets, reduction="none").flatten(1).sum(1)
        log_pz = normal_log_density(z, torch.zeros_like(z), torch.zeros_like(z))
        return log_px_z.view(-1, k) + log_pz - posterior.log_density(z)

    def iwae_loss(self, x: torch.Tensor, k: int) -> dict[str, torch.Tensor]:
        """Negative importance-weighted bound -L_k (Burda et al. 2015, eq. 8) for a batch ``x``
        ``[B, C, H, W]``, averaged per image in nats: training on it tightens the bound that
        ``gen_core.eval.metrics.iwae_bound`` reports. Returned as ``loss`` and ``neg_iwae``."""
        log_w = self.log_importance_weights(x, k)  # [B, k]
        neg_bound = -(torch.logsumexp(log_w, dim=1) - math.log(k)).mean()
        return {"loss": neg_bound, "neg_iwae": neg_bound}

    def loss(self, x: torch.Tensor, generator: torch.Generator | None = None) -> dict[str, torch.Tensor]:
        """Negative ELBO terms for a batch ``x`` ``[B, C, H, W]`` in [0, 1], averaged per image.

        ``loss`` = BCE + beta * KL is what training minimizes; ``neg_elbo`` = BCE + KL is the
        beta-independent bound on -log p(x) reported in nats.
        """
        posterior = self.encode(x)
        logits = self.decode_logits(posterior.sample(generator))
        batch = x.shape[0]
        bce = F.binary_cross_entropy_with_logits(logits, x, reduction="sum") / batch
        kl = posterior.kl().sum() / batch
        return {"loss": bce + self.config.beta * kl, "neg_elbo": bce + kl, "bce": bce, "kl": kl}
