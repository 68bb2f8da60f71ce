"""Named directions in a latent space: class to class, a GAN's principal directions, InfoGAN's codes.

A direction is a vector ``[D]`` that Explore adds to the latent, scaled by a slider. Three kinds:

- **class to class** (``class_direction``): the difference of two class means of latents. With an
  encoder the latents are posterior means of labelled images; a GAN's are prior samples labelled
  by the dataset's classifier reading their decodings (``labelled_samples``).
- **principal directions** of a GAN (``principal_directions``; GANSpace, Härkönen et al. 2020,
  sec. 2.2): PCA of an early layer's activations over sampled latents, each component carried
  back to latent space by the linear regression of the latents on the principal coordinates.
- **codes** (``code_directions``): an InfoGAN's (or any model's) uniform and categorical
  dimensions, each a unit vector along its own column, named as the model names it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import torch
from torch import nn

from gen_core.models import GenerativeModel

GANSPACE_SAMPLES = 4000


@dataclasses.dataclass(frozen=True)
class Direction:
    """A named direction ``vector`` ``[D]``; ``span`` is how far its slider reaches each way, in
    units of the vector (1 for a class direction: from the source class mean to the target's)."""

    name: str
    vector: torch.Tensor
    span: float = 1.0


def class_direction(latents: torch.Tensor, labels: torch.Tensor, source: int, target: int) -> torch.Tensor:
    """``mean(z | target) - mean(z | source)`` ``[D]`` from latents ``[N, D]`` and labels ``[N]``.

    Raises ``ValueError`` when either class has no latent (there is no direction to give).
    """
    missing = [c for c in (source, target) if not bool((labels == c).any())]
    if missing:
        raise ValueError(f"no examples of class {missing[0]} to take a mean of")
    return latents[labels == target].mean(0) - latents[labels == source].mean(0)


@torch.no_grad()
def labelled_samples(model: GenerativeModel, classify: Callable[[torch.Tensor], torch.Tensor], n: int,
                     generator: torch.Generator | None = None, batch_size: int = 500
                     ) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` prior latents ``[n, D]`` and the class ``[n]`` that ``classify`` (images -> logits)
    reads in each decoding: the labelled latents a GAN's class directions come from."""
    latents = model.sample_latent(n, generator).cpu()
    labels = torch.cat([classify(model.decode(latents[i:i + batch_size].to(model.device))).argmax(1).cpu()
                        for i in range(0, n, batch_size)])
    return latents, labels


def code_directions(model: GenerativeModel) -> list[Direction]:
    """A unit direction along each uniform or categorical dimension, named after it; its span is
    the dimension's range (one class step per unit for a category)."""
    directions = []
    for column, dim in enumerate(model.latent_spec):
        if dim.kind == "gaussian":
            continue
        vector = torch.zeros(model.latent_dim)
        vector[column] = 1.0
        span = float(len(dim.classes) - 1) if dim.kind == "categorical" else float(dim.high - dim.low)
        directions.append(Direction(f"code {dim.name}", vector, span))
    return directions


def early_layers(model: GenerativeModel) -> nn.Sequential:
    """The decoder up to and including its first nonlinearity after the first weight layer: the
    "early layer" whose activations GANSpace takes principal components of."""
    layers, seen_weights = [], False
    for layer in _flat(model.decoder_layers()):
        layers.append(layer)
        seen_weights |= isinstance(layer, (nn.Linear, nn.ConvTranspose2d, nn.Conv2d))
        if seen_weights and isinstance(layer, (nn.ReLU, nn.LeakyReLU, nn.Tanh, nn.Sigmoid)):
            break
    return nn.Sequential(*layers)


def _flat(layers: list[nn.Module]) -> list[nn.Module]:
    out = []
    for layer in layers:
        out += _flat(list(layer)) if isinstance(layer, nn.Sequential) else [layer]
    return out


@torch.no_grad()
def principal_directions(model: GenerativeModel, count: int = 10, samples: int = GANSPACE_SAMPLES,
                         generator: torch.Generator | None = None) -> tuple[list[Direction], torch.Tensor]:
    """GANSpace's ``count`` principal directions of ``model`` in latent space, largest first, and
    the share of the early layer's variance each explains ``[count]`` (none when the early layer
    does not vary at all).

    PCA of the early activations ``y = G1(z)`` gives components ``V``; the principal coordinates
    ``x = V^T (y - mean)`` of each sample are regressed onto its latent, ``z ~ x U``, and row ``i``
    of ``U`` is the latent direction of component ``i``, scaled to move one standard deviation of
    that coordinate per unit. Only gaussian dimensions move (codes are not directions of variance).
    """
    latents = model.sample_latent(samples, generator).cpu()
    early = early_layers(model).eval()
    activations = torch.cat([early(latents[i:i + 500].to(model.device)).flatten(1).cpu()
                             for i in range(0, samples, 500)]).double()
    centred = activations - activations.mean(0)
    count = max(1, min(count, samples - 1, centred.shape[1]))
    _, singular, components = torch.linalg.svd(centred, full_matrices=False)
    coordinates = centred @ components[:count].T  # [N, count]
    spread = coordinates.std(0)
    # Components come largest first, so those that vary at all are a prefix; a constant early
    # layer has none, and no directions.
    count = int((spread > 1e-9 * max(float(spread.max()), 1e-30)).sum())
    if count == 0:
        return [], torch.zeros(0)
    coordinates, spread = coordinates[:, :count], spread[:count]
    gaussian = torch.tensor([d.kind == "gaussian" for d in model.latent_spec])
    # Least squares z ~ x U over the gaussian columns, on standardized coordinates.
    solution = torch.linalg.lstsq(coordinates / spread, latents.double()[:, gaussian]).solution  # [count, G]
    explained = (singular[:count] ** 2 / (singular ** 2).sum()).float()
    directions = []
    for i in range(count):
        vector = torch.zeros(model.latent_dim, dtype=torch.float64)
        vector[gaussian] = solution[i]
        directions.append(Direction(f"principal direction {i + 1} ({explained[i]:.0%} of variance)",
                                    vector.float(), span=3.0))
    return directions, explained
