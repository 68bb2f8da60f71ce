"""Wasserstein GAN training: a critic estimates the Wasserstein-1 distance, the generator lowers it.

Each ``train_step`` is one critic update; the generator is updated on every ``n_critic``-th step
(Arjovsky et al. 2017, Algorithm 1), counted from the run's step total so resuming keeps the rhythm.
The critic must stay Lipschitz: by clipping its weights (WGAN) or by a gradient penalty (WGAN-GP).
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from gen_core.train.loop import Trainer
from gen_core.training_options import WGANGPOptions, WGANOptions


def interpolates(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """x_hat = eps * x + (1 - eps) * G(z), one eps ~ U[0, 1] per image, ready for a gradient."""
    eps = torch.rand(real.shape[0], *([1] * (real.dim() - 1)), device=real.device)
    return (eps * real + (1 - eps) * fake).requires_grad_(True)


def penalty_at(scores: torch.Tensor, mixed: torch.Tensor) -> torch.Tensor:
    """E[(||grad D(x_hat)||_2 - 1)^2] from critic ``scores`` ``[B]`` of interpolates ``mixed``.

    Gulrajani et al. 2017, eq. 3 (without lambda). The graph is kept so the penalty can be
    minimized (a second-order gradient).
    """
    (grads,) = torch.autograd.grad(scores.sum(), mixed, create_graph=True)
    return (grads.flatten(1).norm(dim=1) - 1).pow(2).mean()


def critic_logs(score_real: torch.Tensor, score_fake: torch.Tensor) -> dict[str, float]:
    """Mean critic scores -> the losses and the Wasserstein estimate E[D(x)] - E[D(G(z))]."""
    return {"loss_d": (score_fake - score_real).item(), "loss_g": -score_fake.item(),
            "wasserstein": (score_real - score_fake).item()}


class CriticTrainer(Trainer):
    """The shared WGAN loop; subclasses choose the optimizer and how the critic stays Lipschitz."""

    def make_optimizer(self, params, lr: float) -> torch.optim.Optimizer:
        raise NotImplementedError

    def critic_step(self, real: torch.Tensor, fake: torch.Tensor) -> dict[str, float]:
        """Compute the critic's loss on a batch and its gradients; returns the logs."""
        raise NotImplementedError

    def after_critic_step(self) -> None:
        """Runs after each critic update (weight clipping)."""

    def setup(self) -> None:
        self.critic = self.model.build_discriminator().to(self.ctx.device)
        rates = self.learning_rates()
        self.opt_g = self.make_optimizer(self.model.generator.parameters(), rates["generator"])
        self.opt_c = self.make_optimizer(self.critic.parameters(), rates["critic"])
        wrap = DistributedDataParallel if self.ctx.is_distributed else (lambda m: m)
        self.gen_net, self.critic_net = wrap(self.model.generator), wrap(self.critic)

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {"generator": self.opt_g, "critic": self.opt_c}

    def learning_rates(self) -> dict[str, float]:
        return {"generator": self.run.lr, "critic": self.run.discriminator_lr}

    def training_modules(self) -> dict[str, nn.Module]:
        return {"critic": self.critic}

    def train_step(self, batch: torch.Tensor) -> dict[str, float]:
        real = batch * 2 - 1  # the generator's tanh range
        with torch.no_grad():
            fake = self.gen_net(torch.randn(real.shape[0], self.model.latent_dim, device=real.device))
        self.opt_c.zero_grad(set_to_none=True)
        logs = self.critic_step(real, fake)
        self.opt_c.step()
        self.after_critic_step()
        if (self.steps + 1) % self.options.n_critic == 0:
            self.generator_step(real.shape[0])
        return logs

    def generator_step(self, n: int) -> None:
        self.opt_g.zero_grad(set_to_none=True)
        fake = self.gen_net(torch.randn(n, self.model.latent_dim, device=self.ctx.device))
        (-self.critic_net(fake).mean()).backward()
        self.opt_g.step()
        self.generator_updated()


class WGANTrainer(CriticTrainer):
    """Arjovsky et al. 2017: RMSprop (momentum hurt their critic), weights clipped after each step."""

    options_class = WGANOptions

    def make_optimizer(self, params, lr: float) -> torch.optim.Optimizer:
        return torch.optim.RMSprop(params, lr=lr)

    def critic_step(self, real: torch.Tensor, fake: torch.Tensor) -> dict[str, float]:
        # Separate passes: the critic's batch norm must not mix real and fake statistics.
        score_real = self.critic_net(real).mean()
        (-score_real).backward()
        score_fake = self.critic_net(fake).mean()
        score_fake.backward()
        return critic_logs(score_real, score_fake)

    @torch.no_grad()
    def after_critic_step(self) -> None:
        for param in self.critic.parameters():
            param.clamp_(-self.options.clip_value, self.options.clip_value)


class WGANGPTrainer(CriticTrainer):
    """Gulrajani et al. 2017, Algorithm 1: Adam(beta1 = 0, beta2 = 0.9) and the gradient penalty."""

    options_class = WGANGPOptions

    def make_optimizer(self, params, lr: float) -> torch.optim.Optimizer:
        return torch.optim.Adam(params, lr=lr, betas=(0.0, 0.9))

    def critic_step(self, real: torch.Tensor, fake: torch.Tensor) -> dict[str, float]:
        # One pass over real, fake and interpolates (exact: the critic normalizes per sample). One
        # forward and one backward is also what DistributedDataParallel needs: the penalty alone
        # leaves the head's bias without a gradient, which a separate pass would trip on.
        mixed = interpolates(real, fake)
        scores = self.critic_net(torch.cat([real, fake, mixed]))
        score_real, score_fake, score_mixed = scores.split(real.shape[0])
        penalty = self.options.gp_weight * penalty_at(score_mixed, mixed)
        (score_fake.mean() - score_real.mean() + penalty).backward()
        return {**critic_logs(score_real.mean(), score_fake.mean()), "penalty": penalty.item()}
