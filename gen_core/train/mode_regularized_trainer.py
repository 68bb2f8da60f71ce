"""Mode-regularized GAN training (Che et al. 2017, Algorithm 1: the regularized GAN, not MDGAN).

With x a real batch, z ~ p(z), G(z) a sample and G(E(x)) a reconstruction:

- the discriminator minimizes the GAN cross-entropy on x (real) against G(z) and, as in the
  authors' code, G(E(x)) (both fake); with ``plain_discriminator``, against G(z) only, as the
  paper's Algorithm 1 prints it;
- the generator minimizes -log D(G(z)) + lambda_1 d(x, G(E(x))) + lambda_2 (-log D(G(E(x))));
- the encoder minimizes the two regularizers, lambda_1 d(x, G(E(x))) + lambda_2 (-log D(G(E(x)))).

d is the pixel MSE (sec. 3.1, the geometric regularizer). The mode regularizer (sec. 3.2) is
printed in the paper as +lambda_2 log D(G(E(x))) inside a loss to minimize; it is meant to make
G(E(x)) look real, so here it is the non-saturating -log D(G(E(x))). Since G(z) does not depend on
E, one backward pass of the generator's loss gives the encoder exactly its own loss's gradient.
Adam with beta1 = 0.5, as for the DCGAN.

With ``manifold_diffusion`` it trains as MDGAN (sec. 3.3, Algorithm 2), in two steps per batch:

- the manifold step: the discriminator tells x from G(E(x)) only, and G and E minimize
  lambda_1 d(x, G(E(x))) + lambda_2 (-log D(G(E(x)))), so that G(E(x)) lands on the data;
- the diffusion step: a second discriminator tells G(E(x)) (its "real") from G(z), and G minimizes
  -log D_2(G(z)), so that samples from the prior spread over what the codes reach.

The second step is what keeps G(z) from leaving the data to G(E(x)) when E's codes drift away
from the prior (docs/zoo.md: the plain regularized GAN's MNIST run collapsed so).

With ``r1_weight`` = gamma > 0, every discriminator also minimizes gamma/2 E||grad D(x)||^2 at
its real inputs (Mescheder et al. 2018, "Which Training Methods for GANs do actually Converge?").
"""

from __future__ import annotations

import torch
from torch import nn

from gen_core.eval.metrics import reconstruction_mse
from gen_core.train.distributed import broadcast_weights, synced_step
from gen_core.train.gan_trainer import discriminator_loss, generator_loss
from gen_core.train.loop import Trainer
from gen_core.training_options import ModeRegularizedOptions


def geometric_regularizer(real: torch.Tensor, reconstructed: torch.Tensor) -> torch.Tensor:
    """d(x, G(E(x))): the mean squared pixel error between ``real`` and ``reconstructed``
    ``[B, C, H, W]`` (both in [-1, 1]), a scalar."""
    return (reconstructed - real).pow(2).mean()


def r1_penalty(real_logits: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
    """E||grad_x D(x)||^2 over the batch: the squared gradient norm of the logits ``[B]`` with
    respect to the ``real`` inputs ``[B, C, H, W]`` they were computed from (which must require
    grad), a scalar. The graph is kept so the penalty can be minimized (a second-order gradient)."""
    (grads,) = torch.autograd.grad(real_logits.sum(), real, create_graph=True)
    return grads.pow(2).flatten(1).sum(1).mean()


def mode_regularized_discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor,
                                        reconstructed_logits: torch.Tensor | None) -> torch.Tensor:
    """-log D(x) - log(1 - D(G(z))) - log(1 - D(G(E(x)))), each averaged over its batch of logits
    ``[B]``; without ``reconstructed_logits`` (a plain discriminator) the last term is left out."""
    loss = (discriminator_loss(real_logits, True, "non-saturating")
            + discriminator_loss(fake_logits, False, "non-saturating"))
    if reconstructed_logits is None:
        return loss
    return loss + discriminator_loss(reconstructed_logits, False, "non-saturating")


def regularized_generator_losses(fake_logits: torch.Tensor, reconstructed_logits: torch.Tensor,
                                 real: torch.Tensor, reconstructed: torch.Tensor,
                                 options: ModeRegularizedOptions) -> dict[str, torch.Tensor]:
    """The generator's terms from D's logits ``[B]`` on G(z) and on G(E(x)), and the images x and
    G(E(x)) ``[B, C, H, W]``: ``loss_g`` (-log D(G(z))), the unweighted ``geometric`` and ``mode``
    regularizers, and ``total`` = loss_g + lambda_1 geometric + lambda_2 mode, what G minimizes
    (and E, through the regularizers only)."""
    loss_g = generator_loss(fake_logits, "non-saturating")
    geometric = geometric_regularizer(real, reconstructed)
    mode = generator_loss(reconstructed_logits, "non-saturating")
    total = loss_g + options.lambda_geometric * geometric + options.lambda_mode * mode
    return {"loss_g": loss_g, "geometric": geometric, "mode": mode, "total": total}


def _penalty_log(name: str, penalty: torch.Tensor | None) -> dict[str, float]:
    """``{name: value}`` for a step's log, or nothing where no penalty was taken."""
    return {} if penalty is None else {name: penalty.item()}


class ModeRegularizedGANTrainer(Trainer):
    options_class = ModeRegularizedOptions

    def setup(self) -> None:
        self.disc = self.model.build_discriminator().to(self.ctx.device)
        self.diffusion_disc = (self.model.build_discriminator().to(self.ctx.device)
                               if self.options.manifold_diffusion else None)
        broadcast_weights([self.model, *self.training_modules().values()], self.ctx)
        self.encoder_params = [*self.model.encoder.parameters(), *self.model.to_code.parameters()]
        self.generator_params = list(self.model.generator.parameters())
        rates, betas = self.learning_rates(), (0.5, 0.999)
        self.opt_g = torch.optim.Adam(self.generator_params, lr=rates["generator"], betas=betas)
        self.opt_enc = torch.optim.Adam(self.encoder_params, lr=rates["encoder"], betas=betas)
        self.opt_d = torch.optim.Adam(self.disc.parameters(), lr=rates["discriminator"], betas=betas)
        self.opt_dd = None if self.diffusion_disc is None else torch.optim.Adam(
            self.diffusion_disc.parameters(), lr=rates["discriminator"], betas=betas)

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        both = {"generator": self.opt_g, "encoder": self.opt_enc, "discriminator": self.opt_d}
        return {**both, "diffusion_discriminator": self.opt_dd} if self.opt_dd is not None else both

    def learning_rates(self) -> dict[str, float]:
        rates = {"generator": self.run.lr, "encoder": self.run.lr, "discriminator": self.run.discriminator_lr}
        if self.options.manifold_diffusion:
            return {**rates, "diffusion_discriminator": self.run.discriminator_lr}
        return rates

    def training_modules(self) -> dict[str, nn.Module]:
        if self.diffusion_disc is None:
            return {"discriminator": self.disc}
        return {"discriminator": self.disc, "diffusion_discriminator": self.diffusion_disc}

    def train_step(self, batch: torch.Tensor) -> dict[str, float]:
        real = batch * 2 - 1  # the generator's tanh range
        z = torch.randn(len(batch), self.model.latent_dim, device=batch.device)
        reconstructed = self.model.generator(self.model.code(batch))
        if self.diffusion_disc is not None:
            logs = self.manifold_step(real, reconstructed)
            # G(z) after the manifold step's update: a graph through the old weights could not be used.
            return {**logs, **self.diffusion_step(self.model.generator(z), reconstructed.detach())}
        fake = self.model.generator(z)
        logs = self.discriminator_step(real, fake.detach(), reconstructed.detach())
        logs.update(self.generator_step(real, fake, reconstructed))
        return logs

    def manifold_step(self, real: torch.Tensor, reconstructed: torch.Tensor) -> dict[str, float]:
        """MDGAN's first step: D between x and G(E(x)); G and E move G(E(x)) onto the data."""
        loss_d, real_logits, reconstructed_logits, r1 = self._two_sided_update(
            self.disc, self.opt_d, real, reconstructed.detach())
        geometric = geometric_regularizer(real, reconstructed)
        mode = generator_loss(self.disc(reconstructed), "non-saturating")
        self._step_generator_and_encoder(self.options.lambda_geometric * geometric
                                         + self.options.lambda_mode * mode)
        return {"loss_d": loss_d.item(), "d_real": torch.sigmoid(real_logits).mean().item(),
                "d_reconstructed": torch.sigmoid(reconstructed_logits).mean().item(),
                "geometric": geometric.item(), "mode": mode.item(), **_penalty_log("r1", r1)}

    def diffusion_step(self, fake: torch.Tensor, reconstructed: torch.Tensor) -> dict[str, float]:
        """MDGAN's second step: D_2 takes G(E(x)) (detached) for real and G(z) for fake; G moves
        G(z) there."""
        loss_dd, _, fake_logits, r1 = self._two_sided_update(self.diffusion_disc, self.opt_dd,
                                                             reconstructed, fake.detach())
        loss_g = generator_loss(self.diffusion_disc(fake), "non-saturating")
        self.opt_g.zero_grad(set_to_none=True)
        loss_g.backward(inputs=self.generator_params)
        synced_step(self.opt_g, self.ctx)
        self.generator_updated()
        return {"loss_dd": loss_dd.item(), "d_fake": torch.sigmoid(fake_logits).mean().item(),
                "loss_g": loss_g.item(), **_penalty_log("r1_diffusion", r1)}

    def judge_real(self, disc: nn.Module, real: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """``disc``'s logits ``[B]`` on ``real`` ``[B, C, H, W]``, and its weighted R1 term
        (None when ``r1_weight`` is 0)."""
        if self.options.r1_weight == 0:
            return disc(real), None
        real = real.detach().requires_grad_(True)
        logits = disc(real)
        return logits, self.options.r1_weight / 2 * r1_penalty(logits, real)

    def _two_sided_update(
            self, disc: nn.Module, optimizer: torch.optim.Optimizer, real: torch.Tensor, fake: torch.Tensor,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor | None]:
        """One step of ``disc`` telling ``real`` from ``fake`` (both ``[B, C, H, W]``, no graph to G):
        its GAN loss, its logits ``[B]`` on each side and its R1 term (None without one)."""
        optimizer.zero_grad(set_to_none=True)
        (real_logits, r1), fake_logits = self.judge_real(disc, real), disc(fake)
        loss = (discriminator_loss(real_logits, True, "non-saturating")
                + discriminator_loss(fake_logits, False, "non-saturating"))
        (loss if r1 is None else loss + r1).backward()
        synced_step(optimizer, self.ctx)
        return loss, real_logits, fake_logits, r1

    def _step_generator_and_encoder(self, loss: torch.Tensor) -> None:
        """One step of G and E down ``loss`` (never into a discriminator)."""
        self.opt_g.zero_grad(set_to_none=True)
        self.opt_enc.zero_grad(set_to_none=True)
        loss.backward(inputs=self.generator_params + self.encoder_params)
        synced_step(self.opt_g, self.ctx)
        synced_step(self.opt_enc, self.ctx)

    def discriminator_step(self, real: torch.Tensor, fake: torch.Tensor,
                           reconstructed: torch.Tensor) -> dict[str, float]:
        self.opt_d.zero_grad(set_to_none=True)
        # One pass per kind of image, as the DCGAN trainer does: D's batch norm never mixes them.
        plain = self.options.plain_discriminator
        (real_logits, r1), fake_logits = self.judge_real(self.disc, real), self.disc(fake)
        with torch.set_grad_enabled(not plain):  # plain: G(E(x)) is only judged, for the mode term
            reconstructed_logits = self.disc(reconstructed)
        loss_d = mode_regularized_discriminator_loss(real_logits, fake_logits,
                                                     None if plain else reconstructed_logits)
        (loss_d if r1 is None else loss_d + r1).backward()
        synced_step(self.opt_d, self.ctx)
        return {"loss_d": loss_d.item(), "d_real": torch.sigmoid(real_logits).mean().item(),
                "d_fake": torch.sigmoid(fake_logits).mean().item(),
                "d_reconstructed": torch.sigmoid(reconstructed_logits).mean().item(),
                **_penalty_log("r1", r1)}

    def generator_step(self, real: torch.Tensor, fake: torch.Tensor,
                       reconstructed: torch.Tensor) -> dict[str, float]:
        losses = regularized_generator_losses(self.disc(fake), self.disc(reconstructed), real,
                                              reconstructed, self.options)
        self._step_generator_and_encoder(losses["total"])
        self.generator_updated()
        return {key: value.item() for key, value in losses.items() if key != "total"}

    def evaluate(self) -> dict[str, float]:
        if self.test_data is None:
            return {}
        return {"test_reconstruction_mse": reconstruction_mse(self.model, self.test_data.images)}
