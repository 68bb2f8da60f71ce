"""From images to latents: posterior means, per-dimension KL, and GAN inversion for models
without an encoder."""

from __future__ import annotations

from collections.abc import Callable

import torch

from gen_core.latent.inversion import invert
from gen_core.models import EncoderModel, GenerativeModel

INACTIVE_KL_NATS = 0.01  # below this mean KL a dimension carries (almost) no information


@torch.no_grad()
def encode_means(model: EncoderModel, images: torch.Tensor, batch_size: int = 500) -> torch.Tensor:
    """Posterior means ``[N, D]`` of images ``[N, C, H, W]``, batched to bound memory."""
    return torch.cat([model.encode(images[i:i + batch_size].to(model.device)).mean.cpu()
                      for i in range(0, len(images), batch_size)])


@torch.no_grad()
def reconstruct(model: EncoderModel, images: torch.Tensor) -> torch.Tensor:
    """Images ``[B, C, H, W]`` redrawn from their posterior means: ``decode(encode(x).mean)``."""
    return model.decode(model.encode(images.to(model.device)).mean)


def encodings_name(model: EncoderModel) -> str:
    """What ``encode_means`` gives for ``model``, in words: its posterior means, or its codes where
    the encoder gives one code per image (``codes_are_points``)."""
    return "encoder codes" if model.codes_are_points else "posterior means"


def pixel_errors(images: torch.Tensor, redrawn: torch.Tensor) -> torch.Tensor:
    """Mean squared pixel error of each redrawn image against its original, ``[B, C, H, W]``
    each: ``[B]``."""
    return (redrawn.to(images.device) - images).pow(2).flatten(1).mean(1)


@torch.no_grad()
def mean_kl_per_dim(model: EncoderModel, images: torch.Tensor, batch_size: int = 500) -> torch.Tensor:
    """Mean over ``images`` of KL(q(z_d|x) || N(0, 1)) for each dimension ``d``, in nats ``[D]``.

    Dimensions the decoder ignores collapse to the prior ("posterior collapse") and score ~0.
    """
    total = torch.zeros(model.latent_dim)
    for i in range(0, len(images), batch_size):
        total += model.encode(images[i:i + batch_size].to(model.device)).kl().sum(0).cpu()
    return total / len(images)


def order_by_kl(kl: torch.Tensor, threshold: float = INACTIVE_KL_NATS) -> tuple[list[int], list[int]]:
    """Split dimension indices into ``(active, inactive)``, each sorted by descending KL ``[D]``."""
    order = torch.argsort(kl, descending=True).tolist()
    return [d for d in order if kl[d] >= threshold], [d for d in order if kl[d] < threshold]


def to_latent(model: GenerativeModel, images: torch.Tensor, generator: torch.Generator | None = None,
              progress: Callable[[float], None] | None = None,
              features: Callable[[torch.Tensor], torch.Tensor] | None = None) -> torch.Tensor:
    """Latents ``[B, D]`` for images ``[B, C, H, W]`` in [0, 1], for any family.

    The posterior means where the model has an encoder; otherwise GAN inversion
    (``gen_core.latent.inversion.invert``, with ``generator``, ``progress`` and ``features``).
    """
    if model.has_encoder:
        with torch.no_grad():
            return encode_means(model, images)
    return invert(model, images, generator=generator, progress=progress, features=features)
