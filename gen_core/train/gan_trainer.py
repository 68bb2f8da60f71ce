"""GAN training with the non-saturating loss (Goodfellow 2014) for DCGAN, SN-GAN and InfoGAN, and
the adversarial loop that EBGAN and f-GAN share with them.

Adam with beta1 = 0.5 as the DCGAN paper recommends. Real and fake batches go through the
discriminator in separate forward/backward passes, as in pytorch/examples, which also keeps
DistributedDataParallel's one-forward-one-backward rule. The improved techniques of Salimans et
al. 2016 are options, all off by default.
"""

from __future__ import annotations

import itertools

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from gen_core.train.loop import Trainer
from gen_core.training_options import GANOptions


def discriminator_loss(logits: torch.Tensor, real: bool, gan_loss: str,
                       real_target: float = 1.0) -> torch.Tensor:
    """The discriminator's loss on one side's outputs ``[B]`` (``real`` images or generated ones).

    Hinge: E[max(0, 1 - D(x))] and E[max(0, 1 + D(G(z)))]; otherwise the cross-entropy of the
    original GAN, with ``real_target`` < 1 for one-sided label smoothing.
    """
    if gan_loss == "hinge":
        return F.relu(1 - logits).mean() if real else F.relu(1 + logits).mean()
    target = torch.full_like(logits, real_target if real else 0.0)
    return F.binary_cross_entropy_with_logits(logits, target)


def generator_loss(fake_logits: torch.Tensor, gan_loss: str) -> torch.Tensor:
    """The generator's adversarial loss from D's outputs on its samples ``[B]``.

    Hinge: -E[D(G(z))]. Non-saturating: maximize log D(G(z)) rather than minimize log(1 - D(G(z))).
    """
    if gan_loss == "hinge":
        return -fake_logits.mean()
    return F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))


class AdversarialTrainer(Trainer):
    """A generator trained against a discriminator, one update of each per step (Goodfellow et al.
    2014, Algorithm 1 with k = 1): the loop every such family shares.

    Subclasses say what each side minimizes from the discriminator's outputs: ``real_loss`` and
    ``fake_loss`` for the discriminator, ``generator_losses`` for the generator. The discriminator
    is any module called as ``disc(images, with_features=True) -> (scores [B], features [B, F])``.
    """

    def setup(self) -> None:
        self.disc_modules = {k: m.to(self.ctx.device) for k, m in self.build_training_modules().items()}
        self.disc = self.disc_modules["discriminator"]
        betas = (0.5, 0.999)
        d_params = itertools.chain(*(m.parameters() for m in self.disc_modules.values()))
        rates = self.learning_rates()
        self.opt_g = torch.optim.Adam(self.model.generator.parameters(), lr=rates["generator"], betas=betas)
        self.opt_d = torch.optim.Adam(d_params, lr=rates["discriminator"], betas=betas)
        self.gen_net, self.disc_net = self.wrap(self.model.generator), self.wrap(self.disc)

    @property
    def leaves_parameters_unused(self) -> bool:
        """Whether a generator loss leaves discriminator parameters without a gradient (for DDP)."""
        return False

    def wrap(self, module: nn.Module) -> nn.Module:
        if not self.ctx.is_distributed:
            return module
        return DistributedDataParallel(module, find_unused_parameters=self.leaves_parameters_unused)

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {"generator": self.opt_g, "discriminator": self.opt_d}

    def learning_rates(self) -> dict[str, float]:
        return {"generator": self.run.lr, "discriminator": self.run.discriminator_lr}

    def build_training_modules(self) -> dict[str, nn.Module]:
        """The discriminator side: modules trained by the discriminator's optimizer."""
        return {"discriminator": self.model.build_discriminator()}

    def training_modules(self) -> dict[str, nn.Module]:
        return self.disc_modules

    def draw_latents(self, n: int) -> torch.Tensor:
        """``[n, D]`` latents for one step."""
        return torch.randn(n, self.model.latent_dim, device=self.ctx.device)

    # --- what each side minimizes --------------------------------------------------------------
    def real_loss(self, scores: torch.Tensor) -> torch.Tensor:
        """The discriminator's loss on its outputs ``[B]`` for real images."""
        raise NotImplementedError

    def fake_loss(self, scores: torch.Tensor) -> torch.Tensor:
        """The discriminator's loss on its outputs ``[B]`` for generated images."""
        raise NotImplementedError

    def generator_losses(self, scores: torch.Tensor, features: torch.Tensor,
                         real_features: torch.Tensor) -> dict[str, torch.Tensor]:
        """The generator's terms (``loss_g`` first) from D's outputs ``[B]`` and features ``[B, F]``
        on generated images; ``real_features`` ``[B, F]`` are the real batch's, detached."""
        raise NotImplementedError

    def score_logs(self, real_scores: torch.Tensor, fake_scores: torch.Tensor) -> dict[str, float]:
        """What the discriminator's outputs ``[B]`` say about the game, for the logs."""
        return {}

    def fake_terms(self, features: torch.Tensor, z: torch.Tensor) -> dict[str, torch.Tensor]:
        """Extra losses on fake images' discriminator features ``[B, F]``, minimized by both nets."""
        return {}

    # --- one step ------------------------------------------------------------------------------
    def train_step(self, batch: torch.Tensor) -> dict[str, float]:
        real = batch * 2 - 1  # the generator's tanh range
        z = self.draw_latents(real.shape[0])
        fake = self.gen_net(self.model.generator_input(z))
        logs, real_features = self.discriminator_step(real, fake.detach(), z)
        logs.update(self.generator_step(fake, z, real_features))
        return logs

    def discriminator_step(self, real: torch.Tensor, fake: torch.Tensor,
                           z: torch.Tensor) -> tuple[dict[str, float], torch.Tensor]:
        self.opt_d.zero_grad(set_to_none=True)
        real_scores, real_features = self.disc_net(real, with_features=True)
        loss_real = self.real_loss(real_scores)
        loss_real.backward()
        fake_scores, fake_features = self.disc_net(fake, with_features=True)
        loss_fake = self.fake_loss(fake_scores)
        terms = self.fake_terms(fake_features, z)
        (loss_fake + sum(terms.values())).backward()
        self.opt_d.step()
        logs = {"loss_d": (loss_real + loss_fake).item(), **self.score_logs(real_scores, fake_scores)}
        return {**logs, **{f"{k}_d": v.item() for k, v in terms.items()}}, real_features.detach()

    def generator_step(self, fake: torch.Tensor, z: torch.Tensor,
                       real_features: torch.Tensor) -> dict[str, float]:
        self.opt_g.zero_grad(set_to_none=True)
        scores, features = self.disc_net(fake, with_features=True)
        losses = self.generator_losses(scores, features, real_features)
        terms = self.fake_terms(features, z)
        (sum(losses.values()) + sum(terms.values())).backward()
        self.opt_g.step()
        self.generator_updated()
        return {**{k: v.item() for k, v in losses.items()}, **{f"{k}_g": v.item() for k, v in terms.items()}}


class GANTrainer(AdversarialTrainer):
    """The original GAN game (or its hinge form) with the options of Salimans et al. 2016."""

    options_class = GANOptions

    @property
    def leaves_parameters_unused(self) -> bool:
        return self.options.feature_matching  # G's loss then leaves D's head out

    def build_training_modules(self) -> dict[str, nn.Module]:
        return {"discriminator": self.model.build_discriminator(self.options.minibatch_discrimination)}

    def real_loss(self, scores: torch.Tensor) -> torch.Tensor:
        return discriminator_loss(scores, True, self.options.gan_loss, self.options.label_smoothing)

    def fake_loss(self, scores: torch.Tensor) -> torch.Tensor:
        return discriminator_loss(scores, False, self.options.gan_loss)

    def generator_losses(self, scores: torch.Tensor, features: torch.Tensor,
                         real_features: torch.Tensor) -> dict[str, torch.Tensor]:
        if self.options.feature_matching:
            return {"loss_g": (real_features.mean(0) - features.mean(0)).pow(2).sum()}
        return {"loss_g": generator_loss(scores, self.options.gan_loss)}

    def score_logs(self, real_scores: torch.Tensor, fake_scores: torch.Tensor) -> dict[str, float]:
        return {"d_real": torch.sigmoid(real_scores).mean().item(),
                "d_fake": torch.sigmoid(fake_scores).mean().item()}
