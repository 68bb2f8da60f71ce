"""The posterior an encoder returns: a diagonal Gaussian q(z | x) over a batch of latents."""

from __future__ import annotations

import dataclasses
import math

import torch

LOG_2PI = math.log(2 * math.pi)


def standard_normal(shape: torch.Size | tuple[int, ...], generator: torch.Generator | None,
                    like: torch.Tensor) -> torch.Tensor:
    """N(0, 1) noise of ``shape`` with ``like``'s dtype and device.

    Drawn from ``generator`` on the generator's own device, then moved: a seeded CPU generator
    gives the same evaluation noise whether the model runs on the CPU or a GPU. Without a
    generator, from the global stream of ``like``'s device.
    """
    if generator is None:
        return torch.randn(shape, dtype=like.dtype, device=like.device)
    return torch.randn(shape, generator=generator, dtype=like.dtype, device=generator.device).to(like.device)


def normal_log_density(x: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """log N(x; mu, diag(exp(logvar))) summed over the last dim: ``[..., D]`` -> ``[...]``."""
    return -0.5 * (LOG_2PI + logvar + (x - mu).pow(2) / logvar.exp()).sum(-1)


@dataclasses.dataclass(frozen=True)
class DiagonalGaussian:
    """N(``mean``, diag(exp(``logvar``))), each ``[B, D]``.

    A deterministic encoder (an AAE's) is the point mass at its code, written with ``logvar`` 0:
    not a variance it has, but a neutral stand-in, so that what reads posterior means reads the
    code, and a dimension's KL to N(0, 1) becomes 0.5 * mean^2, about 0 where the encoder leaves
    the dimension unused, as for a VAE's collapsed dimensions.
    """

    mean: torch.Tensor
    logvar: torch.Tensor

    @classmethod
    def from_stats(cls, stats: torch.Tensor) -> DiagonalGaussian:
        """From an encoder head's output ``[B, 2 D]``: the means, then the log-variances."""
        mean, logvar = stats.chunk(2, dim=1)
        return cls(mean, logvar)

    @classmethod
    def point(cls, code: torch.Tensor) -> DiagonalGaussian:
        """The stand-in for a deterministic code ``[B, D]`` (see the class docstring)."""
        return cls(code, torch.zeros_like(code))

    @property
    def std(self) -> torch.Tensor:
        return torch.exp(0.5 * self.logvar)

    def sample(self, generator: torch.Generator | None = None, k: int | None = None) -> torch.Tensor:
        """z = mean + std * eps (Kingma & Welling sec. 2.4: gradients flow through both): ``[B, D]``,
        or ``[B, k, D]`` for ``k`` draws per row. ``eps`` comes from ``generator`` when given
        (evaluation), else from the global stream (training)."""
        if k is None:
            return self.mean + self.std * standard_normal(self.mean.shape, generator, self.mean)
        eps = standard_normal((self.mean.shape[0], k, self.mean.shape[1]), generator, self.mean)
        return self.mean.unsqueeze(1) + self.std.unsqueeze(1) * eps

    def kl(self) -> torch.Tensor:
        """KL(q || N(0, I)) per dimension in closed form (Kingma & Welling, Appendix B): ``[B, D]``."""
        return 0.5 * (self.mean.pow(2) + self.logvar.exp() - 1 - self.logvar)

    def log_density(self, z: torch.Tensor) -> torch.Tensor:
        """log q(z) for ``z`` ``[B, D]`` -> ``[B]``, or ``[B, k, D]`` -> ``[B, k]``."""
        if z.dim() == 3:
            return normal_log_density(z, self.mean.unsqueeze(1), self.logvar.unsqueeze(1))
        return normal_log_density(z, self.mean, self.logvar)
