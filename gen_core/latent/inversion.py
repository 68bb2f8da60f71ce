"""GAN inversion: the latent whose decoded image looks most like a given image.

Gradient descent on the latent (Adam), from several random starts per image, keeping the best.
The loss is the pixel error plus, when a dataset classifier is given, the distance in its
features: pixels alone favour a blurry average, the features keep the image's class and strokes
(the "perceptual" term of GAN-inversion work such as Zhu et al. 2016, with our own classifier
standing in for a VGG). During the search a categorical code is a softmax over its classes (so it
has a gradient) and is rounded to its most likely class at the end; a uniform code is kept in its
support through a sigmoid; gaussian dimensions are pulled toward the prior by a small penalty.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from gen_core.latent.operations import clamp_to_spec
from gen_core.models import GenerativeModel
from gen_core.models.base import OneHotColumn

PRIOR_WEIGHT = 1e-3  # per gaussian dimension, against a pixel loss summed over the image
FEATURE_WEIGHT = 1.0
LEARNING_RATE = 0.05


class _Search(nn.Module):
    """``restarts`` candidate latents per image, in unconstrained parameters.

    ``images`` decodes them with each category as a softmax (fed to the decoder's layers after
    its ``OneHotColumn``); ``latents`` gives the final latents ``[B * restarts, D]``.
    """

    def __init__(self, model: GenerativeModel, start: torch.Tensor) -> None:
        super().__init__()
        self.spec = model.latent_spec
        layers = model.decoder_layers()
        if layers and isinstance(layers[0], OneHotColumn):
            layers = layers[1:]  # the softmax of ``images`` stands in for the hard one-hot
        elif any(d.kind == "categorical" for d in self.spec):
            raise ValueError("a categorical latent must reach the decoder through a OneHotColumn layer")
        # A tuple, not a submodule: the model's weights are shared and never among the parameters.
        self.network = tuple(layers)
        columns = []
        for i, dim in enumerate(self.spec):
            value = start[:, i]
            if dim.kind == "categorical":
                logits = F.one_hot(value.round().long(), len(dim.classes)).float() * 2.0
                columns.append(nn.Parameter(logits))
            elif dim.kind == "uniform":
                unit = ((value - dim.low) / (dim.high - dim.low)).clamp(1e-3, 1 - 1e-3)
                columns.append(nn.Parameter(torch.logit(unit)[:, None]))
            else:
                columns.append(nn.Parameter(value[:, None].clone()))
        self.columns = nn.ParameterList(columns)

    def _values(self, i: int) -> torch.Tensor:
        dim, param = self.spec[i], self.columns[i]
        if dim.kind == "uniform":
            return dim.low + (dim.high - dim.low) * torch.sigmoid(param)
        return param

    def images(self) -> torch.Tensor:
        """Decoded images ``[N, C, H, W]`` of the relaxed latents (a softmax for each category)."""
        parts = []
        for i, dim in enumerate(self.spec):
            value = self._values(i)
            parts.append(torch.softmax(value, dim=1) if dim.kind == "categorical" else value)
        x = torch.cat(parts, dim=1)
        for layer in self.network:
            x = layer(x)
        return x

    def prior_penalty(self) -> torch.Tensor:
        """``0.5 * z^2`` summed over the gaussian dimensions: ``[N]``."""
        gaussian = [self.columns[i][:, 0] for i, d in enumerate(self.spec) if d.kind == "gaussian"]
        if not gaussian:
            return torch.zeros(self.columns[0].shape[0])
        return 0.5 * torch.stack(gaussian, dim=1).pow(2).sum(1)

    @torch.no_grad()
    def latents(self) -> torch.Tensor:
        columns = []
        for i, dim in enumerate(self.spec):
            value = self._values(i)
            columns.append(value.argmax(1).float() if dim.kind == "categorical" else value[:, 0])
        return clamp_to_spec(torch.stack(columns, dim=1), self.spec)


class LatentAdam:
    """Adam (Kingma & Ba 2015, with bias correction) over a few tensors, as ``torch.optim.Adam``
    with its defaults computes it.

    The server inverts uploaded images; ``torch.optim``'s first step imports torch's compiler
    stack (``torch._dynamo``): about 140 MiB of server memory and a second of the first upload,
    for an update rule of a few lines on latents of a few dozen numbers.
    """

    def __init__(self, params: list[torch.Tensor], lr: float, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8) -> None:
        self.params, self.lr, self.betas, self.eps = params, lr, betas, eps
        self.first = [torch.zeros_like(p) for p in params]
        self.second = [torch.zeros_like(p) for p in params]
        self.steps = 0

    @torch.no_grad()
    def step(self, grads: tuple[torch.Tensor, ...]) -> None:
        """Move every parameter by its gradient in ``grads`` (same order and shapes)."""
        self.steps += 1
        beta1, beta2 = self.betas
        first_correction, second_correction = 1 - beta1 ** self.steps, 1 - beta2 ** self.steps
        for param, grad, m, v in zip(self.params, grads, self.first, self.second, strict=True):
            m.lerp_(grad, 1 - beta1)
            v.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
            denominator = (v / second_correction).sqrt_().add_(self.eps)
            param.addcdiv_(m, denominator, value=-self.lr / first_correction)


def invert(model: GenerativeModel, images: torch.Tensor, steps: int = 200, restarts: int = 4,
           generator: torch.Generator | None = None, progress: Callable[[float], None] | None = None,
           features: Callable[[torch.Tensor], torch.Tensor] | None = None) -> torch.Tensor:
    """Latents ``[B, D]`` whose decodings best match ``images`` ``[B, C, H, W]`` in [0, 1].

    ``features`` (a dataset classifier's ``features``) adds the feature-distance term;
    ``progress`` is called with the fraction done after each step.
    """
    if images.dim() != 4 or tuple(images.shape[1:]) != tuple(model.image_shape):
        raise ValueError(f"images must be [B, {', '.join(map(str, model.image_shape))}], "
                         f"got {list(images.shape)}")
    batch = images.shape[0]
    target = images.repeat_interleave(restarts, dim=0)
    target_features = features(target).detach() if features is not None else None
    search = _Search(model, model.sample_latent(batch * restarts, generator).cpu())
    optimizer = LatentAdam(list(search.parameters()), lr=LEARNING_RATE)
    was_training = model.training
    model.eval()
    try:
        _descend(search, optimizer, target, target_features, features, steps, progress)
        with torch.no_grad():
            final = _losses(search, target, target_features, features).view(batch, restarts)
    finally:
        model.train(was_training)
    best = final.argmin(1) + torch.arange(batch) * restarts
    return search.latents()[best]


@torch.enable_grad()  # a caller inside no_grad still gets its search
def _descend(search: _Search, optimizer: LatentAdam, target: torch.Tensor,
             target_features: torch.Tensor | None, features: Callable[[torch.Tensor], torch.Tensor] | None,
             steps: int, progress: Callable[[float], None] | None) -> None:
    for step in range(steps):
        # Gradients for the latents only: the model (shared, maybe by other viewers) is never touched.
        loss = _losses(search, target, target_features, features).sum()
        optimizer.step(torch.autograd.grad(loss, optimizer.params))
        if progress is not None:
            progress((step + 1) / steps)


def _losses(search: _Search, target: torch.Tensor, target_features: torch.Tensor | None,
            features: Callable[[torch.Tensor], torch.Tensor] | None) -> torch.Tensor:
    """Per-candidate loss ``[N]``: pixel squared error, feature distance, prior penalty."""
    made = search.images()
    loss = (made - target).pow(2).flatten(1).sum(1) + PRIOR_WEIGHT * search.prior_penalty()
    if features is not None:
        loss = loss + FEATURE_WEIGHT * (features(made) - target_features).pow(2).sum(1)
    return loss
