"""The one interface every generative model in gen_core speaks.

The UI builds its controls from ``latent_spec`` alone, so nothing outside a family's module needs
to know how that family works inside.
"""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from gen_core.models.posterior import DiagonalGaussian

LATENT_KINDS = ("gaussian", "uniform", "categorical")


@dataclasses.dataclass(frozen=True)
class LatentDim:
    """One latent dimension: what the UI shows as one control.

    ``low``/``high`` bound a slider (gaussian: ±3σ; uniform: its support). A categorical
    dimension holds the index of one of ``classes`` as a float.
    """

    name: str
    kind: str = "gaussian"
    low: float = -3.0
    high: float = 3.0
    classes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in LATENT_KINDS:
            raise ValueError(f"latent kind must be one of {LATENT_KINDS}, got {self.kind!r}")
        if self.kind == "categorical" and not self.classes:
            raise ValueError(f"categorical latent {self.name!r} needs classes")
        if not self.low < self.high:
            raise ValueError(f"latent {self.name!r}: low {self.low} must be below high {self.high}")

    def to_json(self) -> dict:
        return {**dataclasses.asdict(self), "classes": list(self.classes)}

    @classmethod
    def from_json(cls, data: dict) -> LatentDim:
        return cls(**{**data, "classes": tuple(data.get("classes", ()))})


class ScaleShift(nn.Module):
    """``x * scale + shift`` with constant scalars: a network's output mapped into [0, 1]."""

    def __init__(self, scale: float, shift: float) -> None:
        super().__init__()
        self.scale, self.shift = scale, shift

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.scale + self.shift


class OneHotColumn(nn.Module):
    """``[B, D]`` -> ``[B, classes + D - 1]``: column ``column`` (a class index stored as a float,
    rounded and clamped) replaced in place by its one-hot encoding."""

    def __init__(self, column: int, classes: int) -> None:
        super().__init__()
        self.column, self.classes = column, classes

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        index = z[:, self.column].round().long().clamp(0, self.classes - 1)
        one_hot = F.one_hot(index, self.classes).to(z.dtype)
        return torch.cat([z[:, :self.column], one_hot, z[:, self.column + 1:]], dim=1)


def gaussian_spec(latent_dim: int) -> list[LatentDim]:
    """A spec of ``latent_dim`` standard-normal dimensions named z0, z1, …"""
    return [LatentDim(name=f"z{i}") for i in range(latent_dim)]


class GenerativeModel(nn.Module, ABC):
    """Base of every family: decode latents to images in [0, 1].

    Subclasses set ``family`` (the registry name) and ``config_class`` (a dataclass), build
    themselves from one config instance, and implement ``decode`` and ``latent_spec``.
    """

    family: ClassVar[str]
    kind_name: ClassVar[str | None] = None  # how the literature writes the family's name
    config_class: ClassVar[type]
    # Its generator, a GAN's, is also trained on an encoder's codes: the file carries batch-norm
    # statistics measured on its samples alone (gen_core.train.sampler_statistics).
    batch_norm_from_samples: ClassVar[bool] = False

    def __init__(self, config) -> None:
        super().__init__()
        if not isinstance(config, self.config_class):
            raise TypeError(f"{type(self).__name__} needs a {self.config_class.__name__}")
        self.config = config

    @property
    def arch(self) -> str:
        """Architecture name inside the family (for example ``mlp`` or ``conv``)."""
        return getattr(self.config, "arch", self.family)

    @property
    def title(self) -> str:
        """How people name this kind of model (for example ``DCGAN`` or ``β-VAE (β=4)``)."""
        return self.kind_name or self.family.upper()

    @property
    def image_shape(self) -> tuple[int, int, int]:
        """``(C, H, W)`` of the images this model makes."""
        return tuple(self.config.image_shape)

    @property
    def latent_dim(self) -> int:
        return len(self.latent_spec)

    @property
    def has_encoder(self) -> bool:
        return False

    @property
    def codes_are_points(self) -> bool:
        """Whether ``encode`` gives one code per image (``DiagonalGaussian.point``) rather than a
        posterior with a spread: a dimension's mean "KL" is then half its mean squared code."""
        return False

    @property
    def has_likelihood(self) -> bool:
        """Whether the model bounds log p(x): ``loss(x)`` gives ELBO terms in nats and
        ``decode_logits`` the Bernoulli logits that importance sampling (IWAE) needs."""
        return False

    @property
    @abstractmethod
    def latent_spec(self) -> list[LatentDim]:
        """One entry per latent dimension, in the order of ``z``'s columns."""

    @abstractmethod
    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Map latents ``[B, D]`` to images ``[B, C, H, W]``, float32 in [0, 1]."""

    @abstractmethod
    def decoder_layers(self) -> list[nn.Module]:
        """``decode`` as a list of modules applied in turn to ``z`` ``[B, D]``.

        This is what ``gen_core.media.browser_decoder`` turns into the browser's decoder, so it includes what
        ``decode`` does around the network (input assembly, output scaling).
        """

    def sample_latent(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """Draw ``[n, D]`` latents from the prior, reproducibly from ``generator``."""
        columns = []
        for dim in self.latent_spec:
            if dim.kind == "gaussian":
                col = torch.randn(n, generator=generator)
            elif dim.kind == "uniform":
                col = torch.rand(n, generator=generator) * (dim.high - dim.low) + dim.low
            else:
                col = torch.randint(len(dim.classes), (n,), generator=generator).float()
            columns.append(col)
        return torch.stack(columns, dim=1).to(self.device)

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """Draw ``n`` images ``[n, C, H, W]`` from the model."""
        return self.decode(self.sample_latent(n, generator))

    @property
    def device(self) -> torch.device:
        return next(self.parameters()).device

    def parameter_count(self) -> int:
        return sum(p.numel() for p in self.parameters())


class EncoderModel(GenerativeModel):
    """A generative model with an encoder: an amortized posterior (VAEs, VAE-GAN) or a code (AAE)."""

    @property
    def has_encoder(self) -> bool:
        return True

    @abstractmethod
    def encode(self, x: torch.Tensor) -> DiagonalGaussian:
        """Map images ``[B, C, H, W]`` in [0, 1] to the posterior q(z | x) over ``[B, D]``."""
