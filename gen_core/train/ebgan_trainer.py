"""EBGAN training (Zhao, Mathieu & LeCun 2016): the discriminator is an energy function.

With energies D(x) (an autoencoder's per-image reconstruction MSE), the discriminator minimizes
L_D = D(x) + max(0, m - D(G(z))) (eq. 1) and the generator L_G = D(G(z)) (eq. 2), plus the
pull-away term on the codes of its images (sec. 2.4), which penalizes batches whose codes point
the same way: a guard against mode collapse.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from gen_core.train.gan_trainer import AdversarialTrainer
from gen_core.training_options import EBGANOptions


def pull_away_term(codes: torch.Tensor) -> torch.Tensor:
    """f_PT = 1 / (N (N - 1)) sum_i sum_{j != i} cos(s_i, s_j)^2 of codes ``[N, F]``, N >= 2.

    Zhao et al., eq. 6: 0 for mutually orthogonal codes, 1 for codes that all point one way.
    """
    n = codes.shape[0]
    unit = F.normalize(codes, dim=1)
    squared_cosines = (unit @ unit.T).pow(2)  # [N, N]
    return (squared_cosines.sum() - squared_cosines.diagonal().sum()) / (n * (n - 1))


class EBGANTrainer(AdversarialTrainer):
    options_class = EBGANOptions

    def real_loss(self, scores: torch.Tensor) -> torch.Tensor:
        return scores.mean()

    def fake_loss(self, scores: torch.Tensor) -> torch.Tensor:
        return F.relu(self.options.margin - scores).mean()

    def generator_losses(self, scores: torch.Tensor, features: torch.Tensor,
                         real_features: torch.Tensor) -> dict[str, torch.Tensor]:
        pull_away = self.options.pull_away_weight * pull_away_term(features)
        return {"loss_g": scores.mean(), "pull_away": pull_away}

    def score_logs(self, real_scores: torch.Tensor, fake_scores: torch.Tensor) -> dict[str, float]:
        return {"energy_real": real_scores.mean().item(), "energy_fake": fake_scores.mean().item()}
