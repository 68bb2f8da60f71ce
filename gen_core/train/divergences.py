"""The f-divergences of f-GAN (Nowozin, Cseke & Tomioka 2016) as pure functions of tensors.

D_f(P || Q) = E_Q[f(p/q)] for a convex ``f``, with f(1) = 0 for a divergence (Table 1). Its variational bound
(eq. 6) is D_f >= sup_T E_P[T(x)] - E_Q[f*(T(x))], tight at T(x) = f'(p(x)/q(x)), with f* the
Fenchel conjugate of f. The discriminator outputs an unconstrained V(x) and T = g_f(V) is mapped
into the domain of f* by the output activation g_f (Tables 2 and 6).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable

import torch
import torch.nn.functional as F

LOG_2 = math.log(2.0)
TensorFn = Callable[[torch.Tensor], torch.Tensor]


@dataclasses.dataclass(frozen=True)
class Divergence:
    """One f-divergence and what f-GAN needs of it; every field maps tensors elementwise."""

    f: TensorFn  # the generator function f(u) of u = p/q
    activation: TensorFn  # g_f: R -> dom f*, the discriminator's output activation
    conjugate: TensorFn  # f*(t) on dom f*
    # f*(g_f(v)) written so it stays finite where composing the two would lose precision.
    conjugate_of_activation: TensorFn


DIVERGENCES: dict[str, Divergence] = {
    "kl": Divergence(  # Kullback-Leibler KL(P || Q)
        f=lambda u: u * torch.log(u),
        activation=lambda v: v,
        conjugate=lambda t: torch.exp(t - 1),
        conjugate_of_activation=lambda v: torch.exp(v - 1),
    ),
    "reverse-kl": Divergence(  # KL(Q || P)
        f=lambda u: -torch.log(u),
        activation=lambda v: -torch.exp(-v),
        conjugate=lambda t: -1 - torch.log(-t),
        conjugate_of_activation=lambda v: v - 1,
    ),
    "pearson": Divergence(  # Pearson chi^2: E_Q[(p/q - 1)^2]
        f=lambda u: (u - 1).pow(2),
        activation=lambda v: v,
        conjugate=lambda t: t.pow(2) / 4 + t,
        conjugate_of_activation=lambda v: v.pow(2) / 4 + v,
    ),
    "squared-hellinger": Divergence(  # E_Q[(sqrt(p/q) - 1)^2]
        f=lambda u: (torch.sqrt(u) - 1).pow(2),
        activation=lambda v: 1 - torch.exp(-v),
        conjugate=lambda t: t / (1 - t),
        conjugate_of_activation=lambda v: torch.expm1(v),
    ),
    # KL(P || M) + KL(Q || M) with M = (P + Q) / 2: twice the Jensen-Shannon divergence as it is
    # usually defined, so it lies in [0, 2 log 2].
    "js": Divergence(
        f=lambda u: -(u + 1) * torch.log((1 + u) / 2) + u * torch.log(u),
        activation=lambda v: LOG_2 - F.softplus(-v),
        conjugate=lambda t: -torch.log(2 - torch.exp(t)),
        conjugate_of_activation=lambda v: F.softplus(v) - LOG_2,
    ),
    # The original GAN's game (Goodfellow et al. 2014): 2 JSD(P || Q) - log 4, as f(1) = -log 4.
    "gan": Divergence(
        f=lambda u: u * torch.log(u) - (u + 1) * torch.log(u + 1),
        activation=lambda v: -F.softplus(-v),
        conjugate=lambda t: -torch.log(1 - torch.exp(t)),
        conjugate_of_activation=F.softplus,
    ),
}


def variational_bound(divergence: Divergence, real_scores: torch.Tensor,
                      fake_scores: torch.Tensor) -> torch.Tensor:
    """E_P[g_f(V(x))] - E_Q[f*(g_f(V(x)))] from discriminator outputs ``[B]`` on samples of P
    (real) and of Q (generated): a lower bound on D_f(P || Q) (Nowozin et al., eq. 6)."""
    return divergence.activation(real_scores).mean() - divergence.conjugate_of_activation(fake_scores).mean()
