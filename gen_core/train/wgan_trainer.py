"""Wasserstein GAN training: a critic estimates the Wasserstein-1 distance, the generator lowers it.

Each ``train_step`` is one critic update; the generator is updated on every ``n_critic``-th step
(Arjovsky et al. 2017, Algorithm 1), counted from the run's step total so resuming keeps the rhythm.
The critic must stay Lipschitz: by clipping its weights (WGAN) or by a gradient penalty (WGAN-GP).
"""

from __future__ import annotations

import dataclasses

import torch
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from gen_core.train.loop import Trainer


@dataclasses.dataclass(frozen=True)
class WGANOptions:
    n_critic: int = 5  # critic updates per generator update
    clip_value: float = 0.01  # critic weights are clipped to [-c, c]


@dataclasses.dataclass(frozen=True)
class WGANGPOptions:
    n_critic: int = 5
    gp_weight: float = 10.0  # lambda of Gulrajani et al., eq. 3


def gradient_penalty(critic: nn.Module, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """E[(||grad D(x_hat)||_2 - 1)^2] at random interpolates of ``real`` and ``fake`` ``[B, C, H, W]``.

    Gulrajani et al. 2017, eq. 3 (without lambda): x_hat = eps * x + (1 - eps) * G(z), one eps per
    image. The graph is kept so the penalty can be minimized (a second-order gradient).
    """
    eps = torch.rand(real.shape[0], *([1] * (real.dim() - 1)), device=real.device)
    mixed = (eps * real + (1 - eps) * fake).requires_grad_(True)
    (grads,) = torch.autograd.grad(critic(mixed).sum(), mixed, create_graph=True)
    return (grads.flatten(1).norm(dim=1) - 1).pow(2).mean()


class CriticTrainer(Trainer):
    """The shared WGAN loop; subclasses choose the optimizer and how the critic stays Lipschitz."""

    def make_optimizer(self, params) -> torch.optim.Optimizer:
        raise NotImplementedError

    def critic_penalty(self, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor | None:
        """A term added to the critic's loss (none by default)."""
        return None

    def after_critic_step(self) -> None:
        """Runs after each critic update (weight clipping)."""

    def setup(self) -> None:
        self.critic = self.model.build_discriminator().to(self.ctx.device)
        self.opt_g = self.make_optimizer(self.model.generator.parameters())
        self.opt_c = self.make_optimizer(self.critic.parameters())
        wrap = DistributedDataParallel if self.ctx.is_distributed else (lambda m: m)
        self.gen_net, self.critic_net = wrap(self.model.generator), wrap(self.critic)

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {"generator": self.opt_g, "critic": self.opt_c}

    def training_modules(self) -> dict[str, nn.Module]:
        return {"critic": self.critic}

    def train_step(self, batch: torch.Tensor) -> dict[str, float]:
        real = batch * 2 - 1  # the generator's tanh range
        with torch.no_grad():
            fake = self.gen_net(torch.randn(real.shape[0], self.model.latent_dim, device=real.device))
        self.opt_c.zero_grad(set_to_none=True)
        score_real = self.critic_net(real).mean()
        (-score_real).backward()
        score_fake = self.critic_net(fake).mean()
        score_fake.backward()
        penalty = self.critic_penalty(real, fake)
        if penalty is not None:
            penalty.backward()
        self.opt_c.step()
        self.after_critic_step()
        if (self.steps + 1) % self.options.n_critic == 0:
            self.generator_step(real.shape[0])
        logs = {"loss_d": (score_fake - score_real).item(), "loss_g": -score_fake.item(),
                "wasserstein": (score_real - score_fake).item()}
        return {**logs, **({"penalty": penalty.item()} if penalty is not None else {})}

    def generator_step(self, n: int) -> None:
        self.opt_g.zero_grad(set_to_none=True)
        fake = self.gen_net(torch.randn(n, self.model.latent_dim, device=self.ctx.device))
        (-self.critic_net(fake).mean()).backward()
        self.opt_g.step()


class WGANTrainer(CriticTrainer):
    """Arjovsky et al. 2017: RMSprop (momentum hurt their critic), weights clipped after each step."""

    options_class = WGANOptions

    def make_optimizer(self, params) -> torch.optim.Optimizer:
        return torch.optim.RMSprop(params, lr=self.run.lr)

    @torch.no_grad()
    def after_critic_step(self) -> None:
        for param in self.critic.parameters():
            param.clamp_(-self.options.clip_value, self.options.clip_value)


class WGANGPTrainer(CriticTrainer):
    """Gulrajani et al. 2017, Algorithm 1: Adam(beta1 = 0, beta2 = 0.9) and the gradient penalty."""

    options_class = WGANGPOptions

    def make_optimizer(self, params) -> torch.optim.Optimizer:
        return torch.optim.Adam(params, lr=self.run.lr, betas=(0.0, 0.9))

    def critic_penalty(self, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        return self.options.gp_weight * gradient_penalty(self.critic_net, real, fake)
