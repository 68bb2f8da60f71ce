"""Mode-regularized GAN (Che, Li, Jacob, Bengio & Li 2017, "Mode Regularized Generative Adversarial
Networks").

A DCGAN generator G trained together with an encoder E: x -> z, so that G(E(x)) lands near every
training image x and is taken for real by the discriminator. Each region of the data then has
latents that G maps to it, which keeps G from dropping modes. The shipped model is G with E:
decoding, sampling and export are DCGAN's, and E answers "start from your own image" and the maps.
The discriminator exists during training only.
"""

from __future__ import annotations

import dataclasses

import torch
from torch import nn

from gen_core.models.base import EncoderModel
from gen_core.models.dcgan import DCGAN, conv_body, init_dcgan_weights
from gen_core.models.posterior import DiagonalGaussian
from gen_core.models.registry import register


@dataclasses.dataclass(frozen=True)
class ModeRegularizedGANConfig:
    latent_dim: int = 64  # as DCGANConfig, so the two compare at one latent size
    ngf: int = 32  # generator width, as in DCGANConfig
    ndf: int = 32  # discriminator width
    nef: int = 32  # encoder width: channels of its first stage, as ndf for the discriminator
    # Scale every code onto the sphere of radius sqrt(latent_dim), where N(0, I) samples lie. Free
    # codes drift off that shell (mean norm 31.9 against 8.0 on MNIST) and G then learns the data
    # where the codes are, leaving the prior's shell, where samples come from, to a few pictures.
    codes_on_prior_shell: bool = False
    image_shape: tuple[int, int, int] = (1, 28, 28)

    def __post_init__(self) -> None:
        if self.latent_dim < 1 or self.nef < 1:
            raise ValueError("the mode-regularized GAN needs latent_dim >= 1 and nef >= 1")
        if any(s % 4 for s in self.image_shape[1:]):
            raise ValueError(f"the mode-regularized GAN needs H and W divisible by 4, got {self.image_shape}")


@register
class ModeRegularizedGAN(EncoderModel, DCGAN):
    """The DCGAN generator ``[B, D] -> [B, C, H, W]`` plus an encoder ``[B, C, H, W] -> [B, D]``.

    The encoder is the discriminator's conv body with a linear head to the latent size. Its body
    normalizes per image (layer norm), so a code never depends on the rest of its batch: one user
    image encodes as it would inside a training batch.
    """

    family = "mode-regularized"
    kind_name = "Mode-regularized GAN"
    config_class = ModeRegularizedGANConfig
    batch_norm_from_samples = True

    def __init__(self, config: ModeRegularizedGANConfig) -> None:
        super().__init__(config)
        self.encoder, width = conv_body(config.image_shape, config.nef, "layer")
        self.to_code = nn.Linear(width, config.latent_dim)
        self.encoder.apply(init_dcgan_weights)
        self.to_code.apply(init_dcgan_weights)

    def code(self, x: torch.Tensor) -> torch.Tensor:
        """Images ``[B, C, H, W]`` in [0, 1] -> codes E(x) ``[B, D]``, differentiable.

        With ``codes_on_prior_shell`` each code is scaled to norm sqrt(D), the typical norm of
        z ~ N(0, I), so that reconstructions G(E(x)) teach G the region its samples come from.
        """
        codes = self.to_code(self.encoder(x * 2 - 1))  # the [-1, 1] range G draws and D reads
        if not self.config.codes_on_prior_shell:
            return codes
        return codes * (self.config.latent_dim ** 0.5) / codes.norm(dim=1, keepdim=True).clamp_min(1e-6)

    @property
    def codes_are_points(self) -> bool:
        return True

    def encode(self, x: torch.Tensor) -> DiagonalGaussian:
        """Images ``[B, C, H, W]`` in [0, 1] -> the point mass at E(x) over ``[B, D]``.

        E is deterministic, so this is ``DiagonalGaussian.point`` as for the AAE: what reads a
        posterior's mean reads the code.
        """
        return DiagonalGaussian.point(self.code(x))
