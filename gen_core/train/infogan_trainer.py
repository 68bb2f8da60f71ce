"""InfoGAN training (Chen et al. 2016): the GAN game plus a mutual-information term.

Q (a head on the discriminator's body) predicts the codes that made each fake image. Its negative
log-likelihood, L_I, is a variational lower bound on I(c; G(z, c)) up to the codes' entropy
(Chen et al., eq. 5); as in their code, the discriminator side (body and Q) and the generator both
minimize it, the generator on top of the non-saturating GAN loss.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from gen_core.train.gan_trainer import GANTrainer
from gen_core.training_options import InfoGANOptions


def information_loss(category_logits: torch.Tensor, code_means: torch.Tensor, category: torch.Tensor,
                     codes: torch.Tensor, categorical_weight: float = 1.0,
                     continuous_weight: float = 1.0) -> torch.Tensor:
    """L_I for logits ``[B, K]`` and means ``[B, C]`` against the true ``category [B]``, ``codes [B, C]``.

    The categorical part is the cross-entropy -log Q(c|x); continuous codes get a factored Gaussian
    Q with unit variance, whose negative log-likelihood is 0.5 * (c - mu)^2 up to a constant.
    """
    categorical = F.cross_entropy(category_logits, category)
    continuous = 0.5 * (codes - code_means).pow(2).sum(1).mean()
    return categorical_weight * categorical + continuous_weight * continuous


class InfoGANTrainer(GANTrainer):
    options_class = InfoGANOptions

    def setup(self) -> None:
        super().setup()
        self.q_net = self.wrap(self.disc_modules["q_head"])

    def build_training_modules(self) -> dict[str, nn.Module]:
        modules = super().build_training_modules()
        return {**modules, "q_head": self.model.build_q_head(modules["discriminator"].feature_width)}

    def draw_latents(self, n: int) -> torch.Tensor:
        return self.model.sample_latent(n)  # category index, uniform codes, then Gaussian noise

    def fake_terms(self, features: torch.Tensor, z: torch.Tensor) -> dict[str, torch.Tensor]:
        category_logits, code_means = self.q_net(features)
        category, codes, _ = self.model.split_latent(z)
        info = information_loss(category_logits, code_means, category, codes,
                                self.options.categorical_weight, self.options.continuous_weight)
        return {"info": info}
