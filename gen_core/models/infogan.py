"""InfoGAN (Chen et al. 2016): a GAN whose latent holds named codes it must keep recoverable.

The latent ``z`` ``[B, D]`` is laid out as the UI shows it: column 0 is the categorical code (a
class index as a float), then ``continuous_codes`` uniform codes in [-1, 1], then noise (Gaussian,
or uniform in [-1, 1] with ``uniform_noise``).
The generator sees the category one-hot, so its input is ``categories - 1`` columns wider.
"""

from __future__ import annotations

import dataclasses

import torch
from torch import nn

from gen_core.models.base import LatentDim, OneHotColumn
from gen_core.models.dcgan import DCGAN
from gen_core.models.registry import register


@dataclasses.dataclass(frozen=True)
class InfoGANConfig:
    # Every latent column: the category, the continuous codes, then noise. Chen et al.'s MNIST
    # model (1 + 2 + 62 noise) is the default.
    latent_dim: int = 65
    categories: int = 10
    continuous_codes: int = 2
    ngf: int = 32
    ndf: int = 32
    # Width of a dense layer between the discriminator's conv body and its two heads (D's score
    # and Q); 0 for none. Chen et al.'s MNIST discriminator has one of 1024 (appendix C.1).
    discriminator_hidden: int = 0
    # Width of a dense layer before the generator's first grid; 0 for none. Chen et al.'s MNIST
    # generator has one of 1024.
    generator_hidden: int = 0
    # Noise uniform in [-1, 1] instead of N(0, 1), as in Chen et al.'s code: its spread is then
    # closer to the one-hot category's, beside which 62 Gaussian columns are loud.
    uniform_noise: bool = False
    image_shape: tuple[int, int, int] = (1, 28, 28)

    def __post_init__(self) -> None:
        if (self.categories < 2 or self.continuous_codes < 0 or self.discriminator_hidden < 0
                or self.generator_hidden < 0):
            raise ValueError("InfoGAN needs categories >= 2, continuous_codes >= 0 and "
                             "discriminator_hidden, generator_hidden >= 0")
        if self.latent_dim < 1 + self.continuous_codes:
            raise ValueError(f"InfoGAN latent_dim {self.latent_dim} cannot hold the category and "
                             f"{self.continuous_codes} continuous codes")
        if any(s % 4 for s in self.image_shape[1:]):
            raise ValueError(f"InfoGAN needs H and W divisible by 4, got {self.image_shape}")

    @property
    def noise_dim(self) -> int:
        return self.latent_dim - 1 - self.continuous_codes


class QHead(nn.Module):
    """Discriminator features ``[B, F]`` -> ``(category logits [B, K], code means [B, C])``.

    It shares the discriminator's body, as in Chen et al. sec. 6: Q costs one small extra layer.
    """

    def __init__(self, in_features: int, categories: int, continuous_codes: int, hidden: int = 128) -> None:
        super().__init__()
        self.categories = categories
        self.net = nn.Sequential(nn.Linear(in_features, hidden), nn.LeakyReLU(0.2, True),
                                 nn.Linear(hidden, categories + continuous_codes))

    def forward(self, features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        out = self.net(features)
        return out[:, :self.categories], out[:, self.categories:]


@register
class InfoGAN(DCGAN):
    """The InfoGAN generator; ``build_q_head`` gives the mutual-information head for training."""

    family = "infogan"
    kind_name = "InfoGAN"
    config_class = InfoGANConfig

    @property
    def generator_width(self) -> int:
        return self.config.categories + self.config.continuous_codes + self.config.noise_dim

    @property
    def latent_spec(self) -> list[LatentDim]:
        cfg = self.config
        classes = tuple(str(i) for i in range(cfg.categories))
        category = LatentDim("category", "categorical", 0.0, float(cfg.categories - 1), classes)
        codes = [LatentDim(f"code {i + 1}", "uniform", -1.0, 1.0) for i in range(cfg.continuous_codes)]
        noise_kind = ("uniform", -1.0, 1.0) if cfg.uniform_noise else ("gaussian",)
        noise = [LatentDim(f"z{i}", *noise_kind) for i in range(cfg.noise_dim)]
        return [category, *codes, *noise]

    def split_latent(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``z`` ``[B, D]`` -> ``(category [B] int64, codes [B, C], noise [B, N])``."""
        category = z[:, 0].round().long().clamp(0, self.config.categories - 1)
        codes_end = 1 + self.config.continuous_codes
        return category, z[:, 1:codes_end], z[:, codes_end:]

    def generator_input(self, z: torch.Tensor) -> torch.Tensor:
        """``z`` ``[B, D]`` -> ``[one-hot category, codes, noise]`` ``[B, generator_width]``."""
        return self.input_layers()[0](z)

    def input_layers(self) -> list[nn.Module]:
        return [OneHotColumn(0, self.config.categories)]

    @property
    def generator_hidden(self) -> int:
        return self.config.generator_hidden

    @property
    def discriminator_hidden(self) -> int:
        return self.config.discriminator_hidden

    def build_q_head(self, in_features: int) -> QHead:
        return QHead(in_features, self.config.categories, self.config.continuous_codes)
