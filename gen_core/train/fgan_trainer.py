"""f-GAN training (Nowozin, Cseke & Tomioka 2016): variational divergence minimization.

The discriminator V maximizes the variational bound F = E_P[g_f(V(x))] - E_Q[f*(g_f(V(G(z))))]
on the chosen f-divergence (eq. 6); the generator lowers it. For the generator we use the
paper's alternative (sec. 3.2): maximize E_Q[g_f(V(G(z)))] rather than minimize F, the same move
as the non-saturating GAN loss, which gives stronger gradients while the discriminator wins.
"""

from __future__ import annotations

import torch

from gen_core.train.divergences import DIVERGENCES, Divergence, variational_bound
from gen_core.train.gan_trainer import AdversarialTrainer
from gen_core.training_options import FGANOptions


class FGANTrainer(AdversarialTrainer):
    options_class = FGANOptions

    @property
    def divergence(self) -> Divergence:
        return DIVERGENCES[self.options.divergence]

    def real_loss(self, scores: torch.Tensor) -> torch.Tensor:
        return -self.divergence.activation(scores).mean()

    def fake_loss(self, scores: torch.Tensor) -> torch.Tensor:
        return self.divergence.conjugate_of_activation(scores).mean()

    def generator_losses(self, scores: torch.Tensor, features: torch.Tensor,
                         real_features: torch.Tensor) -> dict[str, torch.Tensor]:
        return {"loss_g": -self.divergence.activation(scores).mean()}

    def score_logs(self, real_scores: torch.Tensor, fake_scores: torch.Tensor) -> dict[str, float]:
        """The discriminator's estimate of D_f(P || Q), from the batch before its update."""
        return {"divergence": variational_bound(self.divergence, real_scores, fake_scores).item()}
