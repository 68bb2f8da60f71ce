"""Adversarial autoencoder training (Makhzani et al. 2015, sec. 2): two phases on every batch.

Reconstruction phase: encoder and decoder lower the reconstruction error, the Bernoulli negative
log-likelihood of the pixels (as the VAE's). Regularization phase: the code discriminator learns
to tell prior draws (label 1) from the encoder's codes (label 0), then the encoder, as the
generator of this GAN, learns to have its codes taken for prior draws (the non-saturating loss).
Adam replaces the paper's SGD with momentum.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from gen_core.eval.metrics import reconstruction_mse
from gen_core.train.distributed import broadcast_weights, synced_step
from gen_core.train.gan_trainer import discriminator_loss, generator_loss
from gen_core.train.loop import Trainer


def reconstruction_loss(logits: torch.Tensor, images: torch.Tensor) -> torch.Tensor:
    """Bernoulli negative log-likelihood of ``images`` ``[B, C, H, W]`` in nats per image."""
    return F.binary_cross_entropy_with_logits(logits, images, reduction="sum") / images.shape[0]


def code_discriminator_loss(prior_logits: torch.Tensor, code_logits: torch.Tensor) -> torch.Tensor:
    """The code discriminator's loss: prior draws are real, the encoder's codes fake (logits ``[B]``)."""
    return (discriminator_loss(prior_logits, True, "non-saturating")
            + discriminator_loss(code_logits, False, "non-saturating"))


def encoder_adversarial_loss(code_logits: torch.Tensor) -> torch.Tensor:
    """The encoder's loss in the regularization phase: -log D(q(z|x)), codes taken for prior draws."""
    return generator_loss(code_logits, "non-saturating")


class AAETrainer(Trainer):
    def setup(self) -> None:
        self.disc = self.model.build_discriminator().to(self.ctx.device)
        broadcast_weights([self.model, self.disc], self.ctx)
        rates, betas = self.learning_rates(), (0.5, 0.999)
        self.encoder_params = [*self.model.encoder.parameters(), *self.model.to_code.parameters()]
        self.opt_ae = torch.optim.Adam(self.model.parameters(), lr=rates["autoencoder"])
        self.opt_d = torch.optim.Adam(self.disc.parameters(), lr=rates["discriminator"], betas=betas)
        self.opt_enc = torch.optim.Adam(self.encoder_params, lr=rates["encoder"], betas=betas)

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {"autoencoder": self.opt_ae, "discriminator": self.opt_d, "encoder": self.opt_enc}

    def learning_rates(self) -> dict[str, float]:
        return {"autoencoder": self.run.lr, "discriminator": self.run.discriminator_lr,
                "encoder": self.run.lr}

    def training_modules(self) -> dict[str, nn.Module]:
        return {"discriminator": self.disc}

    def train_step(self, batch: torch.Tensor) -> dict[str, float]:
        logs = self.reconstruction_phase(batch)
        logs.update(self.regularization_phase(batch))
        return logs

    def reconstruction_phase(self, batch: torch.Tensor) -> dict[str, float]:
        self.opt_ae.zero_grad(set_to_none=True)
        loss = reconstruction_loss(self.model.decode_logits(self.model.code(batch)), batch)
        loss.backward()
        synced_step(self.opt_ae, self.ctx)
        return {"bce": loss.item()}

    def regularization_phase(self, batch: torch.Tensor) -> dict[str, float]:
        codes = self.model.code(batch)  # [B, D], still differentiable for the encoder's update
        prior = self.model.sample_latent(batch.shape[0])
        self.opt_d.zero_grad(set_to_none=True)
        prior_logits, code_logits = self.disc(prior), self.disc(codes.detach())
        loss_d = code_discriminator_loss(prior_logits, code_logits)
        loss_d.backward()
        synced_step(self.opt_d, self.ctx)
        self.opt_enc.zero_grad(set_to_none=True)
        loss_g = encoder_adversarial_loss(self.disc(codes))
        loss_g.backward(inputs=self.encoder_params)  # not into the discriminator
        synced_step(self.opt_enc, self.ctx)
        return {"loss_d": loss_d.item(), "loss_g": loss_g.item(),
                "d_prior": torch.sigmoid(prior_logits).mean().item(),
                "d_code": torch.sigmoid(code_logits).mean().item()}

    def evaluate(self) -> dict[str, float]:
        if self.test_data is None:
            return {}
        return {"test_reconstruction_mse": reconstruction_mse(self.model, self.test_data.images)}
