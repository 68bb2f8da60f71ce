"""Networks trained elsewhere, rebuilt from a layer list stored in their config.

One family (``foreign``, a decoder) and its encoder variant (``foreign-vae``) hold every public
architecture ``gen_core.files.architectures`` recognises: the config names the source and lists
the layers as text (``gen_core.models.layer_specs``), so a converted file is pure data and a new
recognised layout needs no new class. The network's last layer is a Tanh (output in [-1, 1]) or a
Sigmoid ([0, 1]); ``output_range`` says which and ``decode`` maps it to [0, 1].
"""

from __future__ import annotations

import dataclasses

import torch
from torch import nn

from gen_core.models.base import EncoderModel, GenerativeModel, LatentDim, ScaleShift, gaussian_spec
from gen_core.models.layer_specs import build_layers, output_shape, parse_layers
from gen_core.models.posterior import DiagonalGaussian
from gen_core.models.registry import register

# The last layer of a foreign network -> the range of what it produces.
OUTPUT_RANGES = {"tanh": (-1.0, 1.0), "sigmoid": (0.0, 1.0)}


@dataclasses.dataclass(frozen=True)
class ForeignConfig:
    """A decoder from ``latent_dim`` Gaussian latents through ``decoder`` to ``image_shape``.

    ``arch`` names the recognised layout (``pytorch-examples-dcgan``) and ``title`` how people
    call it; ``decoder`` is one layer spec per layer, ending in ``tanh`` or ``sigmoid``.
    """

    arch: str = "layers"
    title: str = ""
    latent_dim: int = 20
    image_shape: tuple[int, int, int] = (1, 28, 28)
    decoder: tuple[str, ...] = ("linear 20 784", "sigmoid", "unflatten 1 28 28")

    def __post_init__(self) -> None:
        layers = parse_layers(self.decoder)
        shape = output_shape(layers, (self.latent_dim,))
        if shape != tuple(self.image_shape):
            raise ValueError(f"the decoder ends in shape {list(shape)}, not the image shape "
                             f"{list(self.image_shape)}")
        if last_activation(self.decoder) not in OUTPUT_RANGES:
            raise ValueError(f"the decoder must end in one of {list(OUTPUT_RANGES)} (a reshape may follow)")


@dataclasses.dataclass(frozen=True)
class ForeignVAEConfig(ForeignConfig):
    """``ForeignConfig`` plus the ``encoder`` layers (images to flat features); two linear heads,
    ``mean`` and ``logvar``, map the features to the posterior's statistics."""

    encoder: tuple[str, ...] = ("flatten", "linear 784 400", "relu")

    def __post_init__(self) -> None:
        super().__post_init__()
        if len(output_shape(parse_layers(self.encoder), tuple(self.image_shape))) != 1:
            raise ValueError("the encoder must end in flat features (add a flatten)")


def last_activation(decoder: tuple[str, ...]) -> str:
    """The operator of the decoder's last layer that is not a reshape."""
    ops = [text.split()[0] for text in decoder if text.split()[0] not in ("flatten", "unflatten")]
    return ops[-1] if ops else ""


@register
class ForeignDecoder(GenerativeModel):
    """A decoder trained elsewhere: ``decoder`` maps ``[B, D]`` to ``[B, C, H, W]`` in its output range."""

    family = "foreign"
    kind_name = "Decoder trained elsewhere"
    config_class = ForeignConfig

    def __init__(self, config: ForeignConfig) -> None:
        super().__init__(config)
        self.decoder = nn.Sequential(*build_layers(parse_layers(config.decoder)))

    @property
    def title(self) -> str:
        return self.config.title or self.kind_name

    @property
    def output_range(self) -> tuple[float, float]:
        """``[low, high]`` of what the network produces before ``decode`` maps it to [0, 1]."""
        return OUTPUT_RANGES[last_activation(self.config.decoder)]

    @property
    def latent_spec(self) -> list[LatentDim]:
        return gaussian_spec(self.config.latent_dim)

    def to_unit_range(self) -> ScaleShift:
        low, high = self.output_range
        return ScaleShift(1 / (high - low), -low / (high - low))

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Latents ``[B, D]`` -> images ``[B, C, H, W]`` in [0, 1]."""
        return self.to_unit_range()(self.decoder(z))

    def decoder_layers(self) -> list[nn.Module]:
        return [*self.decoder, self.to_unit_range()]


@register
class ForeignVAE(ForeignDecoder, EncoderModel):
    """A VAE trained elsewhere: ``ForeignDecoder`` with an encoder to a diagonal Gaussian posterior.

    The encoder is fed images in the range the decoder produces: a network whose decoder ends in
    Tanh was trained on images scaled to [-1, 1].
    """

    family = "foreign-vae"
    kind_name = "VAE trained elsewhere"
    config_class = ForeignVAEConfig

    def __init__(self, config: ForeignVAEConfig) -> None:
        super().__init__(config)
        layers = parse_layers(config.encoder)
        self.encoder = nn.Sequential(*build_layers(layers))
        features = output_shape(layers, tuple(config.image_shape))[0]
        self.mean = nn.Linear(features, config.latent_dim)
        self.logvar = nn.Linear(features, config.latent_dim)

    def encode(self, x: torch.Tensor) -> DiagonalGaussian:
        """Images ``[B, C, H, W]`` in [0, 1] -> q(z | x) over ``[B, D]``."""
        low, high = self.output_range
        features = self.encoder(x * (high - low) + low)
        return DiagonalGaussian(self.mean(features), self.logvar(features))
